// One web-chat socket's conversation (Chat Nio's /chat protocol), with no transport in it:
// frames in (chat, stop, restart, share, mask, edit, remove), frames out through `send`.
// A turn is admitted like any chat completion and streamed from its relay session; the
// conversation is saved once for the question and once for the answer, also when the
// socket is gone before the answer ends (the answer still finishes, is saved and billed).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  type ConversationRecord,
  conversationName,
  createConversation,
  loadConversation,
  loadShare,
  NEW_CONVERSATION_NAME,
  type StoredMessage,
  saveConversation,
} from '../../shared/conversations/store.js';
import { GatewayError } from '../../shared/errors.js';
import type { Identity } from '../auth/identity-cache.js';
import { isAnonymous } from '../auth/anonymous.js';
import type { ApiContext } from '../context.js';
import { openRelaySession, type RelaySession } from '../streaming/relay-session.js';
import { isVisionModel, toVisionContent } from './vision.js';
import type { ChatAdmission, ChatRequest } from './admission.js';
import {
  type ChatFrame,
  type ClientFrame,
  chatFrame,
  contextWindow,
  parseMaskContext,
} from './web-chat-frames.js';

const EMPTY_ANSWER = 'empty response';
const BUSY = 'A reply is still being generated: stop it or wait for it to end.';

export interface WebChatDeps {
  context: ApiContext;
  identity: Identity;
  log: Logger;
  admit: (request: ChatRequest) => Promise<ChatAdmission>;
  /** Takes one generation slot of this caller (5 per user, 1 per anonymous IP); null when none is free. */
  takeSlot: () => Promise<(() => void) | null>;
  send: (frame: ChatFrame) => void;
}

interface Turn {
  session: RelaySession | null;
  stopped: boolean;
  /** Resolves when the answer is saved. */
  done: Promise<void>;
}

export class WebChat {
  private conversation: ConversationRecord;
  /** The parameters of the last chat frame (a restart may override them). */
  private params: ClientFrame | null = null;
  private turn: Turn | null = null;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly deps: WebChatDeps,
    conversation: ConversationRecord,
    private stored: boolean,
  ) {
    this.conversation = conversation;
  }

  /** The handshake: a user's conversation (`id`, -1 for a new one), optionally continued from a share. */
  static async open(deps: WebChatDeps, id: number, ref: string | undefined): Promise<WebChat> {
    const { knex } = deps.context;
    const userId = deps.identity.userId;
    const anonymous = isAnonymous(deps.identity);
    const fresh = { userId, id: -1, name: NEW_CONVERSATION_NAME, messages: [], model: '' };
    if (ref) {
      const shared = await loadShare(knex, ref);
      if (shared)
        return new WebChat(
          deps,
          { ...fresh, name: shared.name, messages: shared.messages, model: shared.model },
          false,
        );
    }
    if (!anonymous && id > 0) {
      const found = await loadConversation(knex, userId, id);
      if (found) return new WebChat(deps, found, true);
    }
    return new WebChat(deps, fresh, false);
  }

  get busy(): boolean {
    return this.turn !== null;
  }

  /** Resolves when the running answer (if any) has been saved. */
  async settled(): Promise<void> {
    await this.turn?.done;
  }

  async handle(frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'chat':
        return this.chat(frame);
      case 'restart':
        return this.restart(frame);
      case 'stop':
        return this.stop();
      case 'share':
        return this.prepend(
          frame.message ? ((await loadShare(this.deps.context.knex, frame.message))?.messages ?? []) : [],
        );
      case 'mask':
        return this.prepend(parseMaskContext(frame.message));
      case 'edit':
        return this.edit(frame.message);
      case 'remove':
        return this.remove(frame.message);
    }
  }

  private async chat(frame: ClientFrame): Promise<void> {
    if (this.turn) return this.refuse(BUSY);
    const text = frame.message.trim();
    if (!text) return this.refuse('The message is empty.');
    this.params = frame;
    const first = this.conversation.messages.length === 0 || this.conversation.name === NEW_CONVERSATION_NAME;
    this.conversation.messages.push({ role: 'user', content: text });
    if (first) this.conversation.name = conversationName(text);
    this.conversation.model = frame.model || this.conversation.model;
    await this.save();
    this.generate(frame);
  }

  private async restart(frame: ClientFrame): Promise<void> {
    if (this.turn) return this.refuse(BUSY);
    // Regenerating replaces the last answer.
    const messages = this.conversation.messages;
    while (messages.length > 0 && messages[messages.length - 1].role === 'assistant') messages.pop();
    if (messages.length === 0) return this.refuse('There is nothing to regenerate.');
    const params = { ...(this.params ?? frame), ...withValues(frame) };
    this.params = params;
    this.generate(params);
  }

  private stop(): void {
    const turn = this.turn;
    if (!turn || turn.stopped) return;
    turn.stopped = true;
    turn.session?.cancel();
  }

  private async prepend(messages: StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    this.conversation.messages.unshift(...messages);
    await this.save();
  }

  private async edit(message: string): Promise<void> {
    const match = /^(\d+):([\s\S]*)$/.exec(message);
    const index = match ? Number(match[1]) : -1;
    const target = this.conversation.messages[index];
    if (!match || !target) return;
    target.content = match[2];
    await this.save();
  }

  private async remove(message: string): Promise<void> {
    const index = /^\d+$/.test(message.trim()) ? Number(message) : -1;
    if (index < 0 || index >= this.conversation.messages.length) return;
    this.conversation.messages.splice(index, 1);
    await this.save();
  }

  private refuse(message: string): void {
    this.deps.send(chatFrame({ message, end: true }));
  }

  /** Saves in order (a later state never lands before an earlier one). */
  private save(): Promise<void> {
    const next = this.saving.then(() => this.write());
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** Creates the row on the first save of a logged-in user's new conversation; anonymous chats are never stored. */
  private async write(): Promise<void> {
    if (isAnonymous(this.deps.identity)) return;
    const { knex } = this.deps.context;
    if (!this.stored) {
      const created = await createConversation(
        knex,
        this.deps.identity.userId,
        this.conversation.name,
        this.conversation.model,
      );
      this.conversation = { ...this.conversation, id: created.id };
      this.stored = true;
    }
    await saveConversation(knex, this.conversation);
  }

  private generate(params: ClientFrame): void {
    const turn: Turn = { session: null, stopped: false, done: Promise.resolve() };
    this.turn = turn;
    turn.done = this.answer(params, turn)
      .catch((error) => this.deps.log.error({ err: error }, 'web chat turn failed'))
      .finally(() => {
        if (this.turn === turn) this.turn = null;
      });
  }

  private async answer(params: ClientFrame, turn: Turn): Promise<void> {
    const { send, log } = this.deps;
    send(chatFrame({ conversation: this.conversation.id }));
    const release = await this.deps.takeSlot();
    if (!release) {
      const message = isAnonymous(this.deps.identity)
        ? 'Only one reply at a time without signing in.'
        : 'Too many replies at once: wait for one to end.';
      send(chatFrame({ message, end: true }));
      return;
    }
    let text = '';
    let quota = 0;
    let plan = false;
    let reply: string | null = null;
    let releaseLimits = () => undefined as void;
    try {
      const admission = await this.deps.admit({
        identity: this.deps.identity,
        body: requestBody(this.conversation, params, this.deps.context.settings.get().site.vision_models),
        requestId: randomUUID(),
        log,
        webSearch: params.web,
      });
      releaseLimits = admission.release;
      plan = admission.data.billing.source === 'plan';
      const session = await openRelaySession(this.deps.context, admission.data, log, admission.hold);
      turn.session = session;
      if (turn.stopped) session.cancel();
      let thinking = false;
      for await (const event of session) {
        if (event.t === 'delta') {
          let piece = '';
          for (const { delta } of event.choices) {
            if (delta?.reasoning_content) {
              piece += `${thinking ? '' : '<think>\n'}${delta.reasoning_content}`;
              thinking = true;
            }
            if (delta?.content) {
              piece += `${thinking ? '\n</think>\n\n' : ''}${delta.content}`;
              thinking = false;
            }
          }
          if (event.quota !== undefined) quota = event.quota;
          if (!piece) continue;
          text += piece;
          send(chatFrame({ message: piece, quota, plan }));
        } else if (event.t === 'usage' && event.quota !== undefined) {
          quota = event.quota;
        } else if (event.t === 'error') {
          reply = GatewayError.fromJSON(event.error).message;
        }
      }
      if (thinking) text += '\n</think>\n\n';
    } catch (error) {
      reply = error instanceof GatewayError ? error.message : 'The reply failed; please retry.';
      if (!(error instanceof GatewayError)) log.error({ err: error }, 'web chat reply failed');
    } finally {
      releaseLimits();
      release();
    }
    // The answer is in the conversation before the client hears the end, so its next frame
    // (a restart, an edit) sees it; saves run in order.
    let end: ChatFrame;
    if (reply !== null && !text) {
      this.conversation.messages.push({ role: 'assistant', content: reply });
      end = chatFrame({ message: reply, end: true });
    } else {
      // An answer cut by a failure keeps what was produced, with a note saying so.
      const content = reply === null ? text || EMPTY_ANSWER : `${text}\n\n(${reply})`;
      // Only what Chat Nio's front end shows: a cost above 0, a plan that paid (a stored 0 shows as "0").
      this.conversation.messages.push({
        role: 'assistant',
        content,
        ...(quota > 0 ? { quota } : {}),
        ...(plan ? { plan } : {}),
      });
      end = chatFrame({ message: reply === null ? '' : `\n\n${reply}`, end: true, quota, plan });
    }
    // Saved before the end is sent: a client that reloads at once finds the answer.
    this.turn = null;
    await this.save().catch((error) => log.error({ err: error }, 'saving the answer failed'));
    send(end);
  }
}

/** Only the parameters a frame actually set (a restart keeps the earlier ones otherwise). */
function withValues(frame: ClientFrame): Partial<ClientFrame> {
  return Object.fromEntries(
    Object.entries(frame).filter(([, value]) => value !== undefined && value !== null),
  );
}

/** The chat completion of one turn: the conversation's context window and the frame's parameters. */
function requestBody(
  conversation: ConversationRecord,
  params: ClientFrame,
  visionModels: readonly string[],
): Record<string, unknown> {
  const messages = contextWindow(conversation.messages, params.context, params.ignore_context);
  const model = params.model || conversation.model;
  const vision = isVisionModel(model, visionModels);
  const body: Record<string, unknown> = {
    model,
    stream: true,
    messages: messages.map((message) => ({
      role: message.role,
      content: vision && message.role === 'user' ? toVisionContent(message.content) : message.content,
    })),
  };
  for (const name of [
    'max_tokens',
    'temperature',
    'top_p',
    'presence_penalty',
    'frequency_penalty',
  ] as const) {
    if (params[name] !== undefined && params[name] !== null) body[name] = params[name];
  }
  return body;
}
