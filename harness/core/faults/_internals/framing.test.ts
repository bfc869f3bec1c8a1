import { describe, expect, it } from 'vitest';
import { ChunkedScanner, FramingError } from './chunked.ts';
import { RequestAssembler } from './request-assembler.ts';
import { ResponseReader } from './response-reader.ts';

const chunkedBody = '4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n';

describe('HTTP framing', () => {
  it('finds the end of a chunked body fed one byte at a time, and sees the payload', () => {
    const bytes = Buffer.from(`${chunkedBody}NEXT`);
    const scanner = new ChunkedScanner();
    let payload = '';
    let end = -1;
    for (let i = 0; i < bytes.length && end < 0; i++) {
      const at = scanner.scan(bytes.subarray(i, i + 1), 0, (s) => (payload += Buffer.from(s).toString()));
      if (at >= 0) end = i + at;
    }
    expect(end).toBe(chunkedBody.length);
    expect(payload).toBe('Wikipedia in\r\n\r\nchunks.');
    expect(() => new ChunkedScanner().scan(Buffer.from('zz\r\n'))).toThrow(FramingError);
  });

  it('cuts a byte stream into requests at every split point', () => {
    const requests = ['GET /a HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', `PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunkedBody}`];
    const bytes = Buffer.from(`\r\n${requests.join('')}`);
    for (let split = 1; split < bytes.length; split += 7) {
      const a = new RequestAssembler();
      const got: string[] = [];
      for (const piece of [bytes.subarray(0, split), bytes.subarray(split)]) {
        a.push(piece);
        for (let r = a.take(); r; r = a.take()) {
          if ('passthrough' in r) throw new Error(r.passthrough);
          got.push(`${r.method} ${r.target} ${r.bytes.length} ${r.close}`);
        }
      }
      expect(got).toEqual([`GET /a ${requests[0]!.length} false`, `POST /b ${requests[1]!.length} false`, `PUT /c ${requests[2]!.length} true`]);
    }
  });

  it('gives the same body digest to the same payload however it is chunked', () => {
    const digest = (text: string) => {
      const a = new RequestAssembler();
      a.push(Buffer.from(text));
      const r = a.take();
      if (!r || 'passthrough' in r) throw new Error('no request');
      return r.bodyDigest;
    };
    const plain = digest('POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nWikipedia');
    expect(digest('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n')).toBe(plain);
    expect(digest('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nWikipedia\r\n0\r\n\r\n')).toBe(plain);
  });

  it('passes through what it cannot frame safely', () => {
    for (const head of ['POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'GET / HTTP/2.0\r\n\r\n', 'GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n']) {
      const a = new RequestAssembler();
      a.push(Buffer.from(head));
      const r = a.take();
      expect(r && 'passthrough' in r).toBe(true);
    }
  });

  it('delimits responses: length, chunked, none for HEAD/204/304, interim 1xx, close-delimited', () => {
    const read = (method: string, text: string, extra = 'EXTRA') => {
      const r = new ResponseReader(method);
      const piece = r.feed(Buffer.from(text + extra));
      return { own: piece.own.toString(), done: piece.done, rest: piece.rest?.toString() ?? null, keepAlive: r.keepAlive };
    };
    expect(read('GET', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')).toEqual({ own: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi', done: true, rest: 'EXTRA', keepAlive: true });
    expect(read('GET', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`).done).toBe(true);
    expect(read('HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n').rest).toBe('EXTRA');
    expect(read('GET', 'HTTP/1.1 204 No Content\r\n\r\n').rest).toBe('EXTRA');
    expect(read('GET', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ done: true, rest: 'EXTRA' });
    const close = new ResponseReader('GET');
    expect(close.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nuntil close')).done).toBe(false);
    expect(close.endOfStream()).toBe(true);
    expect(close.keepAlive).toBe(false);
  });
});
