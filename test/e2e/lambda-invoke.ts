/**
 * Lambda Invoke over plain HTTP, for tests against the emulator only: the project has no Lambda
 * SDK client, and MiniStack routes `/2015-03-31/functions/...` by path and does not check
 * signatures (emulator.md, gap 7), so an unsigned request with the right credential scope does.
 */
export interface InvokeResult {
  readonly functionError: string | undefined;
  readonly payload: unknown;
}

export async function invokeLambda(functionName: string, payload: unknown): Promise<InvokeResult> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  if (!endpoint) throw new Error('invokeLambda needs AWS_ENDPOINT_URL (the emulator from the jest global setup)');
  const response = await fetch(`${endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
    method: 'POST',
    body: JSON.stringify(payload),
    headers: {
      'content-type': 'application/json',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`Invoke ${functionName} failed with HTTP ${response.status}: ${text}`);
  return { functionError: response.headers.get('x-amz-function-error') ?? undefined, payload: text ? JSON.parse(text) : null };
}
