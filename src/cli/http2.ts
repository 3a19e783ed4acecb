/**
 * `ws4ts serve --http2`: the demo's HTTP/2 side. The page, its script and
 * `/stats` over HTTP/2 streams (the same answers as over HTTP/1.1), and a
 * self-signed certificate made with `openssl` when none is given (browsers
 * speak HTTP/2 over TLS only).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerFor, SECURITY, type HttpSite } from './http.js';
import { UsageError } from './args.js';

/** The `onStream` of the demo server: ordinary HTTP/2 requests get the demo's answers. */
export function http2Handler(site: HttpSite): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void {
  return (stream, headers) => {
    const method = headers[':method'] ?? 'GET';
    void answerFor(site, method, headers[':path'] ?? '/').then((answer) => {
      if (stream.destroyed || stream.closed) return;
      const extra: Record<string, string> = {};
      for (const [name, value] of Object.entries({ ...SECURITY, ...answer.headers })) extra[name.toLowerCase()] = value;
      stream.respond({ ...extra, ':status': answer.status, 'content-type': answer.type, 'cache-control': 'no-store' });
      stream.end(method === 'HEAD' ? undefined : answer.body);
    });
  };
}

/**
 * A fresh self-signed certificate for localhost / 127.0.0.1 / ::1 (P-256,
 * valid 30 days), made by the `openssl` command in a temporary directory
 * that is removed at once.
 */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ws4ts-cert-'));
  try {
    const result = spawnSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
    if (result.status !== 0) {
      const why = result.error?.message ?? result.stderr?.toString().trim() ?? `exit ${result.status}`;
      throw new UsageError(`--http2 needs a certificate: give --tls-cert and --tls-key, or install openssl (${why})`, 'serve');
    }
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
