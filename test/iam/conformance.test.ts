// The aws-iam provider passes the SDK's conformance suite against moto_server through the real
// @aws-sdk/client-iam.

import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { runProviderConformance } from '../../src/conformance/index.ts';
import { doc, provider, rawClient, startMoto, testSettings, type Moto } from './support.ts';
import { startFaultProxy } from './fault-proxy.ts';

const trust = { Version: '2012-10-17', Statement: { Effect: 'allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' } };
const readDoc = (actions: string[]) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

const policy = (actions: string[]) => doc('Policy', 'reader', { path: '/trueup/', document: readDoc(actions) });
const role = (description: string, extra: Record<string, unknown> = {}) => doc('Role', 'app', {
  path: '/trueup/', description, assumeRolePolicy: trust,
  inlinePolicies: { logs: readDoc(['logs:PutLogEvents', 'logs:CreateLogStream']) },
  managedPolicies: [{ ref: 'reader' }], ...extra,
});
const group = doc('Group', 'devs', { path: '/trueup/', managedPolicies: [{ ref: 'reader' }] });
const user = doc('User', 'ci', { path: '/trueup/', groups: [{ ref: 'devs' }], tags: { team: 'platform' } });

let moto: Moto;
runProviderConformance({
  provider,
  setup: async () => {
    moto = await startMoto();
    const iam = rawClient(moto);
    // trueup talks to moto through a proxy that can throttle; the raw client goes direct.
    const proxy = await startFaultProxy(moto.endpoint);
    const settings = { ...testSettings(moto, { maxAttempts: 2 }), endpoint: proxy.endpoint };
    return {
      settings,
      scopes: ['path/trueup/*', 'oidc-provider/*'],
      fixtures: {
        create: policy(['s3:GetObject']) + role('app role') + group + user,
        update: policy(['s3:GetObject', 's3:ListBucket']) + role('the app role') + group + user,
        remove: policy(['s3:GetObject', 's3:ListBucket']) + role('the app role') + group,
        rejected: policy(['s3:GetObject', 's3:ListBucket']) + role('the app role') + group +
          doc('Role', 'broken', { path: '/trueup/', assumeRolePolicy: trust, managedPolicies: ['arn:aws:iam::123456789012:policy/trueup/does-not-exist'] }),
      },
      drift: async () => {
        await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'logs', PolicyDocument: JSON.stringify(readDoc(['logs:*'])) }));
      },
      createUnowned: async () => {
        const name = `hand-made-${Math.random().toString(36).slice(2, 8)}`;
        await iam.send(new CreateRoleCommand({ RoleName: name, Path: '/trueup/', AssumeRolePolicyDocument: JSON.stringify(trust), Description: 'by hand' }));
        return async () => {
          const r = await iam.send(new GetRoleCommand({ RoleName: name }));
          return r.Role?.Description === 'by hand' && (r.Role.Tags ?? []).length === 0;
        };
      },
      injectTransientFailure: async () => {
        proxy.throttleNext(settings.maxAttempts);
      },
      teardown: async () => {
        iam.destroy();
        await proxy.stop();
        await moto.stop();
      },
    };
  },
});
