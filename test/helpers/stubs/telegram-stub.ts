import { StubServer, type RecordedRequest, type StubResponse } from './stub-server.js';

export interface TelegramStubMessage {
  chatId: string;
  text: string;
}

/**
 * Telegram Bot API `sendMessage` (`POST /bot<token>/sendMessage`) and `getMe`: records accepted
 * messages; `floodNext(retryAfterS)` makes the next call answer 429 with `parameters.retry_after`;
 * `upgradeToSupergroup(old, new)` makes every later message to `old` answer 400 with
 * `parameters.migrate_to_chat_id`, as Telegram does for a group upgraded to a supergroup.
 */
export class TelegramStub extends StubServer {
  readonly messages: TelegramStubMessage[] = [];
  readonly #migrated = new Map<string, string>();

  constructor(readonly token = '123456:TEST-TOKEN') {
    super((req) => this.#route(req));
  }

  upgradeToSupergroup(oldChatId: string, newChatId: string): void {
    this.#migrated.set(oldChatId, newChatId);
  }

  #route(req: RecordedRequest): StubResponse {
    if (req.path === `/bot${this.token}/getMe`) {
      return {
        status: 200,
        body: { ok: true, result: { id: 123456, is_bot: true, username: 'orch_test_bot' } },
      };
    }
    if (req.path.endsWith('/getMe')) {
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    }
    if (req.method !== 'POST' || req.path !== `/bot${this.token}/sendMessage`) {
      return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    }
    const b = (req.body ?? {}) as { chat_id?: unknown; text?: unknown };
    const chatId = String(b.chat_id);
    const moved = this.#migrated.get(chatId);
    if (moved !== undefined) {
      return {
        status: 400,
        body: {
          ok: false,
          error_code: 400,
          description: 'Bad Request: group chat was upgraded to a supergroup chat',
          parameters: { migrate_to_chat_id: Number(moved) },
        },
      };
    }
    if (typeof b.text !== 'string' || b.text === '') {
      return {
        status: 400,
        body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' },
      };
    }
    this.messages.push({ chatId, text: b.text });
    return { status: 200, body: { ok: true, result: { message_id: this.messages.length } } };
  }

  floodNext(retryAfterS: number): void {
    this.failNext(
      {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${retryAfterS}`,
          parameters: { retry_after: retryAfterS },
        },
      },
      (r: RecordedRequest) => r.path.endsWith('/sendMessage'),
    );
  }
}
