// Observe against responses built from the documented IAM wire format (Query API, XML), where
// moto deviates from AWS: GetAccountAuthorizationDetails pages (a page may hold fewer items than
// MaxItems while IsTruncated is true; only the Marker says where to go on), and every policy
// document URL-encoded, trust policies included. A tiny loopback server answers by Action.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, it } from 'node:test';
import { freePort } from '../support/ports.ts';
import { MOTO_ENV } from '../support/moto.ts';
import provider from '../../providers/aws-iam/index.ts';
import { settingsSchema } from '../../providers/aws-iam/schema.ts';
import { providerContext } from '../../src/engine/pipeline.ts';
import { silentLogger } from '../../src/report/log.ts';
import { scopeMatcher, type JsonObject } from '../../src/sdk/index.ts';

Object.assign(process.env, MOTO_ENV);
const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const enc = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' }] };
const inline = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::my bucket/*' } };

const role = (name: string) => `<member><Path>/trueup/</Path><RoleName>${name}</RoleName><RoleId>AROA${name}</RoleId>
  <Arn>arn:aws:iam::111122223333:role/trueup/${name}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate>
  <AssumeRolePolicyDocument>${enc(trust)}</AssumeRolePolicyDocument><InstanceProfileList/>
  <RolePolicyList><member><PolicyName>read</PolicyName><PolicyDocument>${enc(inline)}</PolicyDocument></member></RolePolicyList>
  <AttachedManagedPolicies><member><PolicyName>ReadOnlyAccess</PolicyName><PolicyArn>arn:aws:iam::aws:policy/ReadOnlyAccess</PolicyArn></member></AttachedManagedPolicies>
  <Tags><member><Key>trueup.dev/owner</Key><Value>wire</Value></member></Tags></member>`;

const pages: Record<string, string> = {
  '': `<IsTruncated>true</IsTruncated><Marker>page-2</Marker><UserDetailList/><GroupDetailList/><RoleDetailList>${role('a')}</RoleDetailList><Policies/>`,
  'page-2': `<IsTruncated>false</IsTruncated><UserDetailList/><GroupDetailList/><RoleDetailList>${role('b')}</RoleDetailList><Policies/>`,
};
const requests: URLSearchParams[] = [];
const respond = (action: string, result: string) =>
  `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`;

let server: Server;
let endpoint: string;
before(async () => {
  const port = await freePort();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      requests.push(form);
      const action = form.get('Action') ?? '';
      let result: string;
      if (action === 'GetAccountAuthorizationDetails') result = pages[form.get('Marker') ?? ''] ?? '';
      else if (action === 'ListRoles') result = `<IsTruncated>false</IsTruncated><Roles>${['a', 'b'].map((n) => `<member><Path>/trueup/</Path><RoleName>${n}</RoleName><RoleId>x</RoleId><Arn>arn:aws:iam::111122223333:role/trueup/${n}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>${enc(trust)}</AssumeRolePolicyDocument><Description>role ${n}</Description><MaxSessionDuration>7200</MaxSessionDuration></member>`).join('')}</Roles>`;
      else if (action === 'ListInstanceProfiles') result = '<IsTruncated>false</IsTruncated><InstanceProfiles/>';
      else if (action === 'ListOpenIDConnectProviders') result = '<OpenIDConnectProviderList/>';
      else {
        res.writeHead(400, { 'content-type': 'text/xml' }).end(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${action}</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' }).end(respond(action, result));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

it('follows GetAccountAuthorizationDetails pages by Marker and decodes every URL-encoded document', async () => {
  const instance = provider.create(settingsSchema.parse({ endpoint, rateLimit: 1000 }), { instance: 'iam' });
  const ctx = providerContext({ name: 'iam', definition: provider as never, instance }, { log: silentLogger(), ownerId: 'wire' });
  const { objects } = await instance.observe({ desired: [], allowedScopes: scopeMatcher(['path/trueup/*']) }, ctx);
  await instance.close?.();

  const gaad = requests.filter((r) => r.get('Action') === 'GetAccountAuthorizationDetails');
  assert.deepEqual(gaad.map((r) => [r.get('MaxItems'), r.get('Marker')]), [['1000', null], ['1000', 'page-2']]);
  assert.deepEqual(gaad[0]?.getAll('Filter.member.1'), ['Role']);
  assert.deepEqual(objects.map((o) => [o.key, o.ownership.state]), [['role/a', 'owned'], ['role/b', 'owned']]);
  const a = objects[0]?.value as JsonObject;
  assert.deepEqual(a, {
    path: '/trueup/',
    assumeRolePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root'] }, Action: ['sts:AssumeRole'] }] },
    description: 'role a',
    maxSessionDuration: 7200,
    tags: {},
    inlinePolicies: { read: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::my bucket/*'] }] } },
    managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  });
});
