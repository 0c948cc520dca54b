// Policy-document equivalence and decoding, table-tested with real-world cases: each pair is
// two documents IAM evaluates the same (must normalise equal), or differ in something IAM
// does care about (must stay different).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDocument, normalizeDocument, parseDocument } from '../../providers/aws-iam/document.ts';
import type { JsonObject } from '../../src/sdk/index.ts';

const n = (d: unknown) => normalizeDocument(d as JsonObject);

const equal: { name: string; a: unknown; b: unknown }[] = [
  {
    name: 'actions in another order (terraform-provider-aws #21968)',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: '*' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }] },
  },
  {
    name: 'a single string vs a one-element array (Action, Resource)',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ['arn:aws:sqs:eu-west-1:123456789012:q'] }] },
  },
  {
    name: 'Statement as a single object vs a one-element array',
    a: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:*', Resource: '*' } },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }] },
  },
  {
    name: 'Effect case',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'allow', Action: 's3:*', Resource: '*' }, { Effect: 'DENY', Action: 'iam:*', Resource: '*' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 'iam:*', Resource: '*' }] },
  },
  {
    name: 'statements in another order',
    a: { Version: '2012-10-17', Statement: [{ Sid: 'A', Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Sid: 'B', Effect: 'Deny', Action: 'iam:*', Resource: '*' }] },
    b: { Version: '2012-10-17', Statement: [{ Sid: 'B', Effect: 'Deny', Action: 'iam:*', Resource: '*' }, { Sid: 'A', Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
  },
  {
    name: 'account id principal vs the root ARN IAM stores (cross-account trust policy)',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root'] }, Action: ['sts:AssumeRole'] }] },
  },
  {
    name: 'principal lists in another order, services and accounts mixed',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'], AWS: ['444455556666', 'arn:aws:iam::111122223333:role/ci'] }, Action: 'sts:AssumeRole' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:role/ci', 'arn:aws:iam::444455556666:root'], Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' }] },
  },
  {
    name: '"Principal": "*" vs {"AWS": "*"} (documented as equivalent)',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] },
  },
  {
    name: 'condition values as booleans and numbers vs strings (MFA age, SecureTransport)',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false }, NumericGreaterThan: { 'aws:MultiFactorAuthAge': 3600 } } }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' }, NumericGreaterThan: { 'aws:MultiFactorAuthAge': ['3600'] } } }] },
  },
  {
    name: 'GitHub Actions OIDC trust: condition value lists in another order, single strings',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }, StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:org/b:*', 'repo:org/a:ref:refs/heads/main'] } } }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: ['arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'] }, Action: ['sts:AssumeRoleWithWebIdentity'],
      Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:org/a:ref:refs/heads/main', 'repo:org/b:*'] }, StringEquals: { 'token.actions.githubusercontent.com:aud': ['sts.amazonaws.com'] } } }] },
  },
  {
    name: 'service prefix case and duplicate actions',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['S3:GetObject', 's3:GetObject', 'EC2:Describe*'], Resource: '*' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:Describe*', 's3:GetObject'], Resource: '*' }] },
  },
  {
    name: 'NotAction/NotResource as strings vs arrays',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::logs/*' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', NotAction: ['iam:*'], NotResource: ['arn:aws:s3:::logs/*'] }] },
  },
];

const different: { name: string; a: unknown; b: unknown }[] = [
  { name: 'Version still counts',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    b: { Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } },
  { name: 'a missing Version is not 2012-10-17 (policy variables behave differently)',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    b: { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } },
  { name: 'Sid still counts',
    a: { Version: '2012-10-17', Statement: [{ Sid: 'Read', Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    b: { Version: '2012-10-17', Statement: [{ Sid: 'ReadAll', Effect: 'Allow', Action: 's3:*', Resource: '*' }] } },
  { name: 'Id still counts',
    a: { Version: '2012-10-17', Id: 'one', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    b: { Version: '2012-10-17', Id: 'two', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } },
  { name: 'Allow vs Deny',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }] } },
  { name: 'condition values are case-sensitive strings',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'Web' } } }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'web' } } }] } },
  { name: 'an extra resource',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::a' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::a', 'arn:aws:s3:::b'] }] } },
  { name: 'an account root vs a role in it',
    a: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' }] },
    b: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/x' }, Action: 'sts:AssumeRole' }] } },
];

describe('policy document equivalence', () => {
  for (const c of equal) {
    it(`equal: ${c.name}`, () => assert.deepEqual(n(c.a), n(c.b)));
  }
  for (const c of different) {
    it(`different: ${c.name}`, () => assert.notDeepEqual(n(c.a), n(c.b)));
  }
  it('is idempotent', () => {
    for (const c of [...equal, ...different]) assert.deepEqual(n(n(c.a)), n(c.a));
  });
  it('shows the normalised document: sorted lists, arrays, canonical Effect and principals', () => {
    assert.deepEqual(n({ Version: '2012-10-17', Statement: { Effect: 'allow', Principal: { AWS: '111122223333' }, Action: ['sts:TagSession', 'STS:AssumeRole'] } }), {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root'] }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
    });
  });
});

describe('decoding documents from the wire', () => {
  // GetRolePolicy / GetAccountAuthorizationDetails return RFC 3986 URL-encoded documents.
  const encoded = '%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AListBucket%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aexample_bucket%22%7D%5D%7D';
  it('decodes a URL-encoded document', () => {
    assert.equal(decodeDocument(encoded), '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}]}');
  });
  it('leaves a document that is already JSON alone (some responses are not encoded)', () => {
    const raw = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a%20b"}]}';
    assert.equal(decodeDocument(raw), raw);
  });
  it('keeps a + that was percent-encoded, and decodes %20 to a space', () => {
    const text = encodeURIComponent('{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a+b c"}}');
    assert.equal((parseDocument(text).Statement as JsonObject[])[0]?.Resource?.toString(), 'arn:aws:s3:::a+b c');
  });
  it('parses pretty-printed and compact JSON to the same normalised document', () => {
    const pretty = encodeURIComponent('{\n  "Version": "2012-10-17",\n  "Statement": {\n    "Effect": "Allow",\n    "Action": "s3:*",\n    "Resource": "*"\n  }\n}');
    assert.deepEqual(parseDocument(pretty), parseDocument('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["*"]}]}'));
  });
  it('rejects a document that is not a JSON object', () => {
    assert.throws(() => parseDocument('%5B%5D'), /JSON object/);
  });
});
