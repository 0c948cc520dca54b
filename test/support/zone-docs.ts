// Zone documents for the CLI ownership tests of both DNS providers (Route 53 and Cloud DNS).

export const zoneDoc = (name: string, records: string, metadata = ''): string => `---
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata:
  name: ${name}
${metadata}spec:
  records:
${records}`;

export const ADOPT = '  annotations: { trueup.dev/adopt: "true" }\n';

/** Another zone in Git, so removing a zone never leaves an empty revision (which never deletes). */
export const keep = (source: string): string => zoneDoc(`keep-${source}.example.org.`, '    www: [{ type: A, value: 192.0.2.99 }]\n');
