// The status page in a real browser (the headless Chromium of @sparticuz/chromium, driven by
// playwright-core; no system browser needed): it
// renders sources, revisions, conditions, the pending plan and history, escapes untrusted text,
// and needs no script.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { Daemon } from '../../src/controller/daemon.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../support/chromium.ts';
import { config, harness, item, waitFor, type Harness } from '../controller/harness.ts';

describe('status page in Chromium', () => {
  let h: Harness;
  let d: Daemon;
  let browser: Browser;

  before(async () => {
    const executablePath = await chromiumExecutable();
    h = await harness();
    await h.write({ 'a.yaml': item('www', 'one') + item('api', 'two') + item('x', 'three', '"<script>alert(1)</script>"') });
    d = await h.daemon(config({ mode: 'approve', server: 'server: { listen: "127.0.0.1:0" }' }));
    await d.start(true);
    await waitFor('pending plan', () => d.controller.get('team').status.pendingPlan);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await h.dispose();
  });

  it('shows the source, its conditions and the plan waiting for approval', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const res = await page.goto(d.server?.url ?? '');
    assert.equal(res?.status(), 200);
    assert.equal(await page.title(), 'trueup status');
    const section = page.locator('section.source[data-source="team"]');
    assert.equal(await section.locator('h2').innerText().then((t) => /team\s+local\s+approve/.test(t)), true);
    assert.equal(await section.locator('li.cond[data-condition="Ready"]').getAttribute('data-status'), 'False');
    assert.match(await section.locator('li.cond[data-condition="Ready"]').innerText(), /AwaitingApproval/);
    const pending = section.locator('.pending');
    const id = d.controller.get('team').status.pendingPlan?.id ?? '';
    assert.match(await pending.innerText(), new RegExp(`Plan waiting for approval ${id}`));
    assert.match(await pending.innerText(), new RegExp(`trueup approve team --plan ${id}`));
    assert.equal(await pending.locator('table.changes tbody tr').count(), 2);
    // Untrusted text (here a bucket name outside the allowed scopes) is shown as text, never run.
    assert.match(await pending.locator('details').textContent() ?? '', /<script>alert\(1\)<\/script>\/x: scope bucket\/<script>/);
    assert.equal(await page.locator('script').count(), 0);
    assert.deepEqual(dialogs, []);
    assert.equal(await section.locator('table.history tbody tr').count(), 1);
    assert.match(await section.locator('table.history tbody tr').first().innerText(), /pending-approval/);
    await page.screenshot({ path: join(h.dir, 'status-page.png'), fullPage: true });
    if (process.env.TRUEUP_SCREENSHOT) await page.screenshot({ path: process.env.TRUEUP_SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('reflects an approval on reload', async () => {
    const source = d.controller.get('team');
    const id = source.status.pendingPlan?.id ?? '';
    await source.approve(id, false);
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(d.server?.url ?? '');
    const section = page.locator('section.source[data-source="team"]');
    assert.equal(await section.locator('li.cond[data-condition="Ready"]').getAttribute('data-status'), 'True');
    assert.equal(await section.locator('.pending').count(), 0);
    assert.match(await section.locator('dd.applied').innerText(), /sha256:/);
    assert.match(await section.locator('table.history tbody tr').first().innerText(), /approve[\s\S]*applied/);
    await page.close();
  });
});
