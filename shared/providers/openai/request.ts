// OpenAI request mapping: URL, headers and body. Every client parameter is forwarded;
// the upstream is always streamed and always asked for usage.

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Chat Nio endpoints are bases like https://api.openai.com; a trailing /v1 is accepted too. */
export function chatCompletionsUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return /\/v\d+$/.test(base) ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

export function buildChatRequest(
  endpoint: string,
  secret: string,
  body: Record<string, unknown>,
): HttpRequestSpec {
  const clientOptions = (body.stream_options as Record<string, unknown> | null | undefined) ?? {};
  const upstreamBody = { ...body, stream: true, stream_options: { ...clientOptions, include_usage: true } };
  return {
    url: chatCompletionsUrl(endpoint),
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify(upstreamBody),
  };
}
