/**
 * What the page says when the bus cannot be read: an endpoint that does not answer, credentials
 * that are missing or refused, a bus that does not exist. Built from the error's name and code
 * only, never from the client's configuration: no credential reaches the page.
 */
export interface PageProblem {
  readonly kind: 'unreachable' | 'credentials' | 'access-denied' | 'no-bus' | 'error';
  readonly title: string;
  readonly detail: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);
const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'ExpiredToken', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'MissingAuthenticationToken']);

export function describeProblem(error: unknown, where: { readonly endpoint: string; readonly busName: string }): PageProblem {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const name = e.name ?? 'Error';
  const code = e.code ?? e.cause?.code;
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|connect ETIMEDOUT/.test(e.message ?? '')) {
    return {
      kind: 'unreachable',
      title: 'The AWS endpoint does not answer',
      detail: `Could not connect to ${where.endpoint} (${code ?? name}). Is the emulator running, or is --endpoint right?`,
    };
  }
  if (CREDENTIAL_ERRORS.has(name) || /Could not load credentials/i.test(e.message ?? '')) {
    return {
      kind: 'credentials',
      title: 'No usable AWS credentials',
      detail:
        `The dashboard uses the same credentials as the CLI (environment, profile, SSO) and ${name === 'CredentialsProviderError' ? 'found none' : `they were refused (${name})`}. ` +
        'Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --local for an emulator.',
    };
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name)) {
    return { kind: 'access-denied', title: 'Access denied', detail: `These credentials may not read the bus: ${name}: ${e.message ?? ''}` };
  }
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist') {
    return {
      kind: 'no-bus',
      title: `Nothing on the bus "${where.busName}" yet`,
      detail:
        `The bus's event bus or results table does not exist at ${where.endpoint}. It is created by a deployment, or by ` +
        '`lightbus run --local`. Check the bus name (--bus-name, LIGHTBUS_BUS_NAME) and the endpoint.',
    };
  }
  return { kind: 'error', title: 'Could not read the bus', detail: `${name}: ${e.message ?? String(error)}` };
}
