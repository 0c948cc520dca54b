// A value that is not a well-formed DNS name or rdata. Thrown by the canonicalisers; callers turn
// it into a ResourceIssue (declared data) or a TerminalError (data read from an API).

export class DnsValueError extends Error {
  override readonly name = 'DnsValueError';
}
