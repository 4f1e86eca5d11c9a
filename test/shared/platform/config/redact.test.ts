import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../../shared/platform/config/redact.js';
import { createLogger } from '../../../../shared/platform/logger.js';

describe('secret redaction', () => {
  it('replaces secret values at any depth and leaves the rest', () => {
    const config = { api: { token: 't0k3n', port: 1 }, sinks: { otlp: { token: 'abc', endpoint: 'https://x' } }, list: [{ password: 'p' }], plain: 'x' };
    expect(redactSecrets(config)).toEqual({ api: { token: '[redacted]', port: 1 }, sinks: { otlp: { token: '[redacted]', endpoint: 'https://x' } }, list: [{ password: '[redacted]' }], plain: 'x' });
    expect(config.api.token).toBe('t0k3n');
  });

  it('keeps secrets out of log lines even if code logs them by mistake', () => {
    let out = '';
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done(); } });
    const log = createLogger({ level: 'info', pretty: false }, sink);
    log.info({ config: { api: { token: 'leaky-token-123' } }, headers: { authorization: 'Bearer leaky-token-123' } }, 'oops');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('leaky-token-123');
  });
});
