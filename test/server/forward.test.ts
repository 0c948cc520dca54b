// A standby passes webhooks and API calls to the leader unchanged (body, signature and token
// headers), answers 503 with Retry-After while no leader is known, and never forwards a request
// that another replica already forwarded (two standbys pointing at each other in a hand-over).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FORWARDED_HEADER, forwardToLeader } from '../../src/server/forward.ts';

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('forwarding from a standby to the leader', () => {
  let leaderUrl: string | undefined;
  let leader: Server;
  let standby: Server;
  let standbyUrl: string;

  before(async () => {
    // The leader: answers with what it received.
    leader = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(202, { 'content-type': 'application/json', 'x-from': 'leader' });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      });
    });
    const url = await listen(leader);
    leaderUrl = url;
    standby = createServer((req, res) => forwardToLeader(req, res, leaderUrl, 'replica-b'));
    standbyUrl = await listen(standby);
  });
  after(async () => {
    standby.closeAllConnections();
    leader.closeAllConnections();
    await new Promise((r) => standby.close(r));
    await new Promise((r) => leader.close(r));
  });

  it('passes method, path, body and credentials through, and the leader\'s answer back', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const res = await fetch(`${standbyUrl}/hooks/github?x=1`, { method: 'POST', body, headers: { 'x-hub-signature-256': 'sha256=abc', authorization: 'Bearer t', 'content-type': 'application/json' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('x-from'), 'leader');
    const seen = (await res.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    assert.deepEqual([seen.method, seen.url, seen.body], ['POST', '/hooks/github?x=1', body]);
    assert.equal(seen.headers['x-hub-signature-256'], 'sha256=abc');
    assert.equal(seen.headers.authorization, 'Bearer t');
    assert.equal(seen.headers[FORWARDED_HEADER], 'replica-b');
  });

  it('answers 503 with Retry-After while no leader is known, and does not forward twice', async () => {
    const twice = await fetch(`${standbyUrl}/api/v1/sources`, { headers: { [FORWARDED_HEADER]: 'replica-c' } });
    assert.equal(twice.status, 503);
    assert.match(await twice.text(), /not the leader either/);
    const saved = leaderUrl;
    leaderUrl = undefined;
    try {
      const none = await fetch(`${standbyUrl}/api/v1/sources`);
      assert.equal(none.status, 503);
      assert.equal(none.headers.get('retry-after'), '1');
      assert.match(await none.text(), /^standby: no leader to forward to yet/);
    } finally {
      leaderUrl = saved;
    }
  });

  it('answers 503 naming the leader it cannot reach', async () => {
    const saved = leaderUrl;
    const gone = createServer();
    const url = await listen(gone);
    await new Promise((r) => gone.close(r));
    leaderUrl = url;
    try {
      const res = await fetch(`${standbyUrl}/`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), new RegExp(`cannot reach the leader at ${url.replace(/[.]/g, '\\.')}: .*ECONNREFUSED`));
    } finally {
      leaderUrl = saved;
    }
  });
});
