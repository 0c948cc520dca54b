// Zone documents used by the Route 53 tests.

export const DKIM = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(14).slice(0, 582)}`; // 600 characters

export function everyTypeZone(zone: string, extra = ''): string {
  return `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  management: full
  ttl: 300
  records:
    "@":
      - { type: A, route53: { alias: { target: www.${zone}. } } }
      - { type: MX, values: ["10 mx1.${zone}", "20 MX2.${zone}."] }
      - { type: TXT, values: ["v=spf1 include:_spf.example.net ~all", "google-site-verification=abc123"] }
      - { type: CAA, values: ['0 issue "letsencrypt.org"', "0 iodef mailto:security@${zone}"] }
      - { type: HTTPS, value: '1 . alpn="h2,h3"' }
    www:
      - { type: A, ttl: 60, values: [192.0.2.10, 192.0.2.11] }
      - { type: AAAA, value: "2001:DB8:0:0::10" }
    mx1: [{ type: A, value: 192.0.2.20 }]
    mx2: [{ type: A, value: 192.0.2.21 }]
    docs: [{ type: CNAME, value: Docs.Example.NET }]
    "*.preview": [{ type: A, value: 192.0.2.30 }]
    _sip._tcp: [{ type: SRV, values: ["10 5 5060 sip.${zone}", "20 5 5060 sip2.${zone}"] }]
    sip: [{ type: NAPTR, value: '100 10 "S" "SIP+D2U" "" _sip._udp.${zone}' }]
    sub: [{ type: NS, values: [ns1.example.net, ns2.example.net.] }]
    sub-ds: [{ type: DS, value: "12345 13 2 3C8A0F6F4A0E4B8F2B6C7D9E0A1B2C3D4E5F60718293A4B5C6D7E8F9A0B1C2D3" }]
    "10.2": [{ type: PTR, value: host.${zone} }]
    host: [{ type: SSHFP, value: "4 2 9A6B0F6C4B2E6E8F6C6A0A8A2B7E3E6C1D9F0A1B2C3D4E5F60718293A4B5C6D7" }]
    _443._tcp.host: [{ type: TLSA, value: "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6" }]
    _svc: [{ type: SVCB, value: "1 svc.${zone} port=8443 alpn=h2" }]
    selector1._domainkey: [{ type: TXT, value: ${JSON.stringify(DKIM)} }]
    quoted: [{ type: TXT, value: '"a \\"quoted\\" word; and a semicolon"' }]
    api:
      - { type: A, value: 192.0.2.40, route53: { setIdentifier: api-blue, weight: 90 } }
      - { type: A, value: 192.0.2.41, route53: { setIdentifier: api-green, weight: 10 } }
    app:
      - { type: A, value: 192.0.2.50, route53: { setIdentifier: app-primary, failover: primary, healthCheckId: 11111111-2222-3333-4444-555555555555 } }
      - { type: A, value: 192.0.2.51, route53: { setIdentifier: app-secondary, failover: SECONDARY } }
    geo:
      - { type: A, value: 192.0.2.60, route53: { setIdentifier: geo-eu, geolocation: { continent: eu } } }
      - { type: A, value: 192.0.2.61, route53: { setIdentifier: geo-us, geolocation: { country: US, subdivision: CA } } }
      - { type: A, value: 192.0.2.62, route53: { setIdentifier: geo-default, geolocation: { country: "*" } } }
    lat:
      - { type: A, value: 192.0.2.70, route53: { setIdentifier: lat-use1, region: us-east-1 } }
    multi:
      - { type: A, value: 192.0.2.80, route53: { setIdentifier: multi-1, multivalue: true } }
    cdn: [{ type: A, route53: { alias: { target: d111111abcdef8.cloudfront.net } } }]
    lb: [{ type: A, route53: { alias: { target: my-lb-123.us-east-1.elb.amazonaws.com, hostedZoneId: Z35SXDOTRQ7X7K, evaluateTargetHealth: true } } }]
${extra}`;
}
