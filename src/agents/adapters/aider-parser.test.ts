import { describe, expect, it } from 'vitest';
import { AiderParser } from './aider-parser.js';

describe('AiderParser', () => {
  it('reads the session cost and token counts from the cost line', () => {
    const p = new AiderParser();
    p.line('Tokens: 2.3k sent, 156 received. Cost: $0.01 message, $0.05 session.');
    expect(p.snapshot()).toMatchObject({
      inputTokens: 2300,
      outputTokens: 156,
      costUsd: 0.05,
      isError: false,
    });
  });

  it('collects litellm exceptions as errors although aider exits 0', () => {
    const p = new AiderParser();
    p.line('litellm.RateLimitError: AnthropicException - rate limit exceeded');
    expect(p.snapshot()).toMatchObject({
      isError: true,
      errors: [expect.stringContaining('RateLimitError') as string],
    });
  });
});
