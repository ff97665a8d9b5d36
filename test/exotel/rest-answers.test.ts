// The pieces of the REST client on their own: what an answer means (rest-responses) and what a failure
// allows (rest-errors). The client's own tests drive them over HTTP against the fake Exotel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindForStatus, retryable, transportFailure, type ExotelErrorKind } from '../../src/exotel/rest-errors.js';
import { interpretAnswer, parseCallAnswer } from '../../src/exotel/rest-responses.js';

const answer = (status: number, raw: string, extra: { contentType?: string; retryAfter?: string } = {}) =>
  interpretAnswer({ status, raw, contentType: extra.contentType ?? null, retryAfter: extra.retryAfter ?? null });

function failure(result: ReturnType<typeof interpretAnswer>) {
  assert.ok('failure' in result, `expected a failure, got ${JSON.stringify(result)}`);
  return result.failure;
}

test('a 2xx JSON answer is its JSON; a 2xx that is not JSON is a bad-response naming its type', () => {
  assert.deepEqual(answer(200, '{"Call":{"Sid":"a1"}}'), { json: { Call: { Sid: 'a1' } } });
  const html = failure(answer(200, 'OK', { contentType: 'text/plain' }));
  assert.equal(html.kind, 'bad-response');
  assert.match(html.detail, /expected JSON, got text\/plain/);
});

test('a RestException inside a 2xx takes its kind from its own Status', () => {
  const f = failure(answer(200, '{"RestException":{"Status":403,"Message":"Not enabled","Code":30009}}'));
  assert.deepEqual([f.kind, f.httpStatus, f.exotelMessage, f.exotelCode], ['rejected', 403, 'Not enabled', 30009]);
  assert.equal(failure(answer(200, '{"RestException":{"Message":"odd"}}')).kind, 'bad-response', 'no Status: a 2xx error we cannot place');
});

test('XML RestExceptions and HTML error pages are read for their message', () => {
  const xml = failure(answer(400, '<TwilioResponse><RestException><Status>400</Status><Message>From &amp; To are bad</Message><Code>21211</Code></RestException></TwilioResponse>'));
  assert.deepEqual([xml.kind, xml.exotelMessage, xml.exotelCode], ['rejected', 'From & To are bad', '21211']);
  const page = failure(answer(502, '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'));
  assert.deepEqual([page.kind, page.exotelMessage], ['server', 'HTML page: 502 Bad Gateway']);
  assert.equal(failure(answer(500, '')).detail, 'empty body');
});

test('429 is rate-limited with Retry-After in seconds or as an HTTP date', () => {
  assert.equal(failure(answer(429, '{}', { retryAfter: '7' })).retryAfterSec, 7);
  const later = new Date(Date.now() + 30_000).toUTCString();
  const sec = failure(answer(429, '{}', { retryAfter: later })).retryAfterSec!;
  assert.ok(sec >= 28 && sec <= 31, `${sec} s`);
  assert.equal(failure(answer(429, '{}', { retryAfter: 'soon' })).retryAfterSec, undefined);
});

test('status kinds, and which failures a dial or a read may repeat', () => {
  assert.deepEqual([429, 500, 503, 400, 404, 302].map(kindForStatus), ['rate-limited', 'server', 'server', 'rejected', 'rejected', 'bad-response']);
  const kinds: ExotelErrorKind[] = ['unreachable', 'timeout', 'connection-lost', 'server', 'rate-limited', 'rejected', 'bad-response', 'invalid-request'];
  assert.deepEqual(kinds.filter((k) => retryable(k, 'dial')), ['unreachable'], 'a dial that may have reached Exotel could ring twice');
  assert.deepEqual(kinds.filter((k) => retryable(k, 'read')), ['unreachable', 'timeout', 'connection-lost', 'server']);
});

test('a transport failure is unreachable only when the connection was refused before anything was sent', () => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) });
  assert.equal(transportFailure(refused, 'request', undefined).kind, 'unreachable');
  assert.equal(transportFailure(refused, 'answer', undefined).kind, 'connection-lost', 'once the answer started, the request was seen');
  const reset = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) });
  assert.match(transportFailure(reset, 'request', undefined).detail, /ECONNRESET/);
  assert.deepEqual([transportFailure(refused, 'request', 250).kind, transportFailure(refused, 'request', 250).detail], ['timeout', 'no answer within 250 ms']);
});

test('a Call is read liberally: numbers as strings, nulls, unknown statuses; a wrong shape says what is wrong', () => {
  const ok = parseCallAnswer({ Call: { Sid: 'c1', Status: 'brand-new-status', Duration: '42', Price: null, Extra: 1 } });
  assert.ok('call' in ok);
  assert.deepEqual([ok.call.Status, ok.call.Duration, ok.call.Price, ok.call.To], ['brand-new-status', 42, null, null]);
  const bad = parseCallAnswer({ Call: { Sid: '', Status: 'queued', Duration: 'long' } });
  assert.ok('failure' in bad);
  assert.equal(bad.failure.kind, 'bad-response');
  assert.match(bad.failure.detail, /Call\.Sid/);
  assert.match(bad.failure.detail, /Call\.Duration: expected a number/);
});
