// approve: approve a plan waiting in a running daemon (sources in mode approve, or plans refused
// by safety rules that someone decides to force). Talks to the daemon's API.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT, UsageError, type Command } from '../command.ts';
import { parse } from '../common.ts';

interface PendingPlan {
  id: string;
  revision: string;
  needsForce: boolean;
  refusals: string[];
  summary: { create: number; update: number; replace: number; delete: number };
  changes: { action: string; provider: string; display: string }[];
  truncated: number;
}

export const approveCommand: Command = {
  name: 'approve',
  help: `Usage: trueup approve SOURCE [--plan ID] [options]

Without --plan: shows the plan waiting for approval in the running daemon and how to approve it.
With --plan ID: approves exactly that plan. The daemon plans again and applies only if the new
plan is identical (same checksum); if the source or live state moved, the new plan waits instead
and its id is printed. A newer commit supersedes a pending plan.

Options:
      --plan ID        the pending plan's id (from the status page, the API or this command)
      --force          apply even though safety rules refused the plan
      --url URL        the daemon's address (default: $TRUEUP_URL or http://127.0.0.1:8080)
      --token-file F   file holding the API bearer token (default: $TRUEUP_TOKEN)
  -h, --help           show this help

Exit codes: 0 applied, 1 error (unknown source, superseded plan, bad token), 2 a new plan waits.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      plan: { type: 'string' },
      force: { type: 'boolean' },
      url: { type: 'string' },
      'token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, true);
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const source = positionals[0];
    if (!source || positionals.length > 1) throw new UsageError('name exactly one source');
    const base = (values.url ?? io.env.TRUEUP_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    const sourceUrl = `${base}/api/v1/sources/${encodeURIComponent(source)}`;

    const token = values['token-file']
      ? (await readFile(resolve(io.cwd, values['token-file']), 'utf8')).trim()
      : io.env.TRUEUP_TOKEN;
    if (!values.plan) {
      // The API token also reads, for daemons whose reads need a token (server.readToken).
      const res = await request(sourceUrl, { method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} });
      const body = await res.json() as { error?: string; pendingPlan?: PendingPlan };
      if (!res.ok) {
        io.stderr.write(`trueup approve: ${body.error ?? `HTTP ${res.status}`}\n`);
        return EXIT.error;
      }
      const p = body.pendingPlan;
      if (!p) {
        io.stdout.write(`Source ${source} has no plan waiting for approval.\n`);
        return EXIT.ok;
      }
      io.stdout.write(`Plan ${p.id} for revision ${p.revision}: ${p.summary.create} create, ${p.summary.update} update, ${p.summary.replace} replace, ${p.summary.delete} delete\n`);
      for (const c of p.changes) io.stdout.write(`  ${c.action.padEnd(7)} ${c.provider} ${c.display}\n`);
      if (p.truncated > 0) io.stdout.write(`  …and ${p.truncated} more\n`);
      for (const r of p.refusals) io.stdout.write(`Refused by safety rules: ${r}\n`);
      io.stdout.write(`\nTo approve: trueup approve ${source} --plan ${p.id}${p.needsForce ? ' --force' : ''}\n`);
      return EXIT.ok;
    }

    if (!token) throw new UsageError('approving needs the API token: --token-file FILE or $TRUEUP_TOKEN');
    const res = await request(`${sourceUrl}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: values.plan, force: values.force === true }),
    });
    const body = await res.json() as { error?: string; pass?: { result: string; message?: string }; pendingPlan?: PendingPlan | null };
    if (res.status === 200) {
      io.stdout.write(`Plan ${values.plan} approved: ${body.pass?.result ?? 'done'}${body.pass?.message ? ` (${body.pass.message})` : ''}\n`);
      return EXIT.ok;
    }
    if (res.status === 409 && body.pass && body.pendingPlan) {
      io.stderr.write(`trueup approve: ${body.pass.message ?? body.pass.result}\nNew plan: trueup approve ${source} --plan ${body.pendingPlan.id}\n`);
      return EXIT.changes;
    }
    io.stderr.write(`trueup approve: ${body.error ?? body.pass?.message ?? `HTTP ${res.status}`}\n`);
    return EXIT.error;
  },
};

async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    throw new UsageError(`cannot reach the daemon at ${new URL(url).origin} (${code ?? (error as Error).message}); is 'trueup run' running? (--url)`);
  }
}
