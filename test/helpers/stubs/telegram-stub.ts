import { StubServer, type RecordedRequest } from './stub-server.js';

export interface TelegramStubMessage {
  chatId: string;
  text: string;
}

/**
 * Telegram Bot API `sendMessage` (`POST /bot<token>/sendMessage`): records accepted messages;
 * `floodNext(retryAfterS)` makes the next call answer 429 with `parameters.retry_after`.
 */
export class TelegramStub extends StubServer {
  readonly messages: TelegramStubMessage[] = [];

  constructor(readonly token = '123456:TEST-TOKEN') {
    super((req) => {
      if (req.method !== 'POST' || req.path !== `/bot${this.token}/sendMessage`) {
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
      }
      const b = (req.body ?? {}) as { chat_id?: unknown; text?: unknown };
      if (typeof b.text !== 'string' || b.text === '') {
        return {
          status: 400,
          body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' },
        };
      }
      this.messages.push({ chatId: String(b.chat_id), text: b.text });
      return { status: 200, body: { ok: true, result: { message_id: this.messages.length } } };
    });
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
