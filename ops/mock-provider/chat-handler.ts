// Mock provider `POST /v1/chat/completions`: validates the body, applies the injected failure (if any)
// and streams or returns the planned completion.
import { buildCompletionJson, buildStreamParts } from './chat-completion.js';
import { type ChatRequestBody, planCompletion } from './completion-plan.js';
import type { MockControls } from './controls.js';
import { sendOpenAiError } from './failures.js';
import {
  afterDelay,
  type ResponseEnding,
  type ResponseSession,
  resetConnection,
  writeJson,
  writeStream,
} from './response-writer.js';

export interface ChatCompletionCall {
  session: ResponseSession;
  body: unknown;
  controls: MockControls;
  /** Failure label chosen for this request (`fail=500`, `reset=mid`, ...) or null to succeed. */
  failure: string | null;
  seq: number;
}

function midEnding(controls: MockControls): ResponseEnding {
  if (controls.reset === 'mid') return 'reset';
  if (controls.hang === 'mid') return 'hang';
  if (controls.garbage === 'mid') return 'garbage';
  return 'done';
}

export function handleChatCompletion(call: ChatCompletionCall): void {
  const { session, controls, failure } = call;
  const response = session.response;
  const requestId = session.requestId;
  const body = call.body as ChatRequestBody | null;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    sendOpenAiError(response, 400, { message: 'The request body must be a JSON object.', requestId });
    return;
  }
  if (!Array.isArray(body.messages)) {
    sendOpenAiError(response, 400, {
      message: "Missing required parameter: 'messages'.",
      param: 'messages',
      code: 'missing_required_parameter',
      requestId,
    });
    return;
  }

  if (failure !== null) {
    if (controls.fail !== null) {
      const status = controls.fail;
      afterDelay(session, controls.first, () =>
        sendOpenAiError(response, status, { retryAfter: controls.retryAfter, requestId }),
      );
      return;
    }
    if (controls.hang === 'before') return;
    if (controls.reset === 'before') {
      afterDelay(session, controls.first, () => resetConnection(session));
      return;
    }
  }

  const ending = failure === null ? 'done' : midEnding(controls);
  const plan = planCompletion(body, controls, call.seq);
  if (body.stream === true) {
    const includeUsage = body.stream_options?.include_usage === true;
    writeStream(session, buildStreamParts(plan, includeUsage), controls, ending, controls.failAfter);
    return;
  }
  writeJson(session, buildCompletionJson(plan), controls.first, ending);
}
