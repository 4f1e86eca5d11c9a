import { describe, expect, it } from 'vitest';
import { proxyFor, redactProxy } from '../../../../shared/pipeline/egress/proxy.js';

describe('proxyFor', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://plain.corp:3128' };

  it('picks the proxy by the scheme of the target', () => {
    expect(proxyFor('https://monitoring.eu-west-1.amazonaws.com', env)).toBe('http://proxy.corp:3128');
    expect(proxyFor('http://collector:4318/v1/metrics', env)).toBe('http://plain.corp:3128');
    expect(proxyFor('https://x', { https_proxy: 'http://lower:1' })).toBe('http://lower:1');
    expect(proxyFor('https://x', {})).toBeUndefined();
    expect(proxyFor('https://x', { HTTPS_PROXY: ' ' })).toBeUndefined();
  });

  it('reaches NO_PROXY hosts directly: names, domain suffixes, host:port, IPv6, and *', () => {
    const direct = (url: string, noProxy: string): boolean => proxyFor(url, { ...env, NO_PROXY: noProxy }) === undefined;
    expect(direct('https://vpce-123.monitoring.eu-west-1.vpce.amazonaws.com', '.vpce.amazonaws.com')).toBe(true);
    expect(direct('https://vpce-123.monitoring.eu-west-1.vpce.amazonaws.com', 'vpce.amazonaws.com')).toBe(true);
    expect(direct('https://notvpce.amazonaws.com', 'vpce.amazonaws.com')).toBe(false);
    expect(direct('http://127.0.0.1:4566', 'localhost,127.0.0.1')).toBe(true);
    expect(direct('http://127.0.0.1:4566', '127.0.0.1:9999')).toBe(false);
    expect(direct('http://127.0.0.1:4566', '127.0.0.1:4566')).toBe(true);
    expect(direct('https://[::1]:8443', '[::1]:8443')).toBe(true);
    expect(direct('https://anything', '*')).toBe(true);
    expect(proxyFor('https://x.internal', { ...env, no_proxy: '.internal' })).toBeUndefined();
  });

  it('keeps proxy credentials out of log lines', () => {
    expect(redactProxy('http://user:secret@proxy.corp:3128')).toBe('http://proxy.corp:3128/');
    expect(redactProxy('not a url')).toBe('(unparsable proxy URL)');
  });
});
