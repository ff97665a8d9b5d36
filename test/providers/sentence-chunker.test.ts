import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SentenceChunker, chunkText, speakable, type SentenceChunkerOptions } from '../../src/providers/llm/sentence-chunker.js';

interface Case {
  name: string;
  text: string;
  chunks: string[];
  options?: SentenceChunkerOptions;
}

const CASES: Case[] = [
  { name: 'sentence ends', text: 'Hello there. How are you? I am fine!', chunks: ['Hello there.', 'How are you?', 'I am fine!'] },
  { name: 'titles and currency abbreviations', text: 'Dr. Sharma will see you at 10.30 tomorrow. Please bring Rs. 500 in cash.', chunks: ['Dr. Sharma will see you at 10.30 tomorrow.', 'Please bring Rs. 500 in cash.'] },
  { name: 'e.g. and i.e.', text: 'Bring an ID, e.g. Aadhaar or PAN. We also need proof, i.e. a bill.', chunks: ['Bring an ID, e.g. Aadhaar or PAN.', 'We also need proof, i.e. a bill.'] },
  { name: 'Mr. and Mrs.', text: 'Mr. and Mrs. Rao are here. Shall I call them?', chunks: ['Mr. and Mrs. Rao are here.', 'Shall I call them?'] },
  { name: 'No. before a number, and as an answer', text: 'Go to counter No. 5 now. No. That is not possible.', chunks: ['Go to counter No. 5 now.', 'No. That is not possible.'] },
  { name: 'decimals and a sentence-final number', text: 'The rate is 3.5 percent. Your balance is 520. Anything else?', chunks: ['The rate is 3.5 percent.', 'Your balance is 520.', 'Anything else?'] },
  { name: 'times', text: 'Meet at 10.30 a.m. Tomorrow works too.', chunks: ['Meet at 10.30 a.m.', 'Tomorrow works too.'] },
  { name: 'domains', text: 'Visit exotel.com today. Thanks.', chunks: ['Visit exotel.com today.', 'Thanks.'] },
  { name: 'initials', text: 'A. R. Rahman composed it. Nice, right?', chunks: ['A. R. Rahman composed it.', 'Nice, right?'] },
  { name: 'ellipsis before lowercase continues, before a capital ends', text: 'Hmm... let me check. Okay… Found it!', chunks: ['Hmm... let me check.', 'Okay…', 'Found it!'] },
  { name: 'closing quotes and brackets stay with their sentence', text: 'He said "call me tomorrow." Then he left (quickly.) Bye.', chunks: ['He said "call me tomorrow."', 'Then he left (quickly.)', 'Bye.'] },
  { name: 'repeated marks', text: 'Really?! Yes!!! Great.', chunks: ['Really?!', 'Yes!!!', 'Great.'] },
  {
    name: 'Hindi danda, double danda, question mark',
    text: 'आपका बैलेंस पाँच सौ रुपये है। क्या मैं और मदद करूँ? धन्यवाद॥',
    chunks: ['आपका बैलेंस पाँच सौ रुपये है।', 'क्या मैं और मदद करूँ?', 'धन्यवाद॥'],
  },
  { name: 'a danda needs no space after it', text: 'ठीक है।आपका काम हो गया।', chunks: ['ठीक है।', 'आपका काम हो गया।'] },
  { name: 'Hinglish with Rs.', text: 'Aapka balance Rs. 520 hai. Kuch aur?', chunks: ['Aapka balance Rs. 520 hai.', 'Kuch aur?'] },
  {
    name: 'first chunk ends early at a clause once long enough; later commas do not split',
    text: 'Sure, I can help you with that, let me pull up your account. Yes, the plan has calls, SMS, and data.',
    chunks: ['Sure, I can help you with that,', 'let me pull up your account.', 'Yes, the plan has calls, SMS, and data.'],
  },
  { name: 'a short first clause is not split', text: 'Sure, one moment.', chunks: ['Sure, one moment.'] },
  {
    name: 'clause marks without a space are not clause ends',
    text: 'We credited 1,000 points at 10:30, which you can use today.',
    chunks: ['We credited 1,000 points at 10:30,', 'which you can use today.'],
    options: { firstClauseMinChars: 10 },
  },
  { name: 'clause splitting off', text: 'Sure, I can help you with that, let me check.', chunks: ['Sure, I can help you with that, let me check.'], options: { firstClauseMinChars: Infinity } },
  { name: 'semicolon and colon as first clause', text: 'Your request has been registered; the reference is 42.', chunks: ['Your request has been registered;', 'the reference is 42.'] },
  {
    name: 'markdown noise',
    text: '**Your plan:** Unlimited calls.\n\n- 2 GB data per day\n* 100 SMS\n## Next steps\nDial `*121#` to _check_ it.',
    chunks: ['Your plan: Unlimited calls.', '2 GB data per day', '100 SMS', 'Next steps', 'Dial 121 to check it.'],
  },
  { name: 'numbered list', text: 'Options:\n1. Check balance\n2. Recharge now', chunks: ['Options:', 'Check balance', 'Recharge now'] },
  { name: 'bold sentence end', text: 'Your total is **₹520.** Anything else?', chunks: ['Your total is ₹520.', 'Anything else?'] },
  { name: 'links keep their text', text: 'See [our plans](https://exotel.com/plans) online. Bye.', chunks: ['See our plans online.', 'Bye.'] },
  { name: 'a line break ends a chunk without punctuation', text: 'Thanks for calling\nGoodbye', chunks: ['Thanks for calling', 'Goodbye'] },
  { name: 'whitespace collapses', text: '  Hello   there.\t\tHow  are\r\nyou?  ', chunks: ['Hello there.', 'How are', 'you?'] },
  { name: 'noise-only text gives nothing', text: '***\n\n---\n...\n`', chunks: [] },
  { name: 'empty text', text: '', chunks: [] },
  { name: 'an unfinished last sentence is flushed', text: 'Okay. And then', chunks: ['Okay.', 'And then'] },
];

for (const c of CASES) {
  test(`chunks: ${c.name}`, () => {
    assert.deepEqual(chunkText(c.text, c.options), c.chunks);
  });
}

test('a long run-on is cut at spaces near maxChars, never inside a word', () => {
  const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
  const text = words.join(' ');
  const chunks = chunkText(text, { maxChars: 40 });
  assert.ok(chunks.length > 5);
  for (const chunk of chunks) assert.ok(chunk.length <= 40, chunk);
  assert.deepEqual(chunks.join(' ').split(' '), words);
});

test('one word longer than maxChars is cut at maxChars', () => {
  assert.deepEqual(chunkText('x'.repeat(25), { maxChars: 10 }), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
});

test('chunks come out as soon as the text decides them', () => {
  const chunker = new SentenceChunker();
  assert.deepEqual(chunker.push('Hello there.'), []); // could still be "Hello there.com" or "Dr." before a name
  assert.deepEqual(chunker.push(' H'), ['Hello there.']);
  assert.deepEqual(chunker.push('ow are you?'), []);
  assert.deepEqual(chunker.push(' I'), ['How are you?']);
  assert.deepEqual(chunker.push(' am'), []);
  assert.deepEqual(chunker.flush(), ['I am']);

  const first = new SentenceChunker();
  assert.deepEqual(first.push('Sure, I can help you with that,'), []);
  assert.deepEqual(first.push(' let'), ['Sure, I can help you with that,']);
  assert.deepEqual(first.push(' me check, okay'), []); // only the first chunk may end at a clause
  assert.deepEqual(first.push('!'), []);
  assert.deepEqual(first.push(' '), ['let me check, okay!']);

  const hindi = new SentenceChunker();
  assert.deepEqual(hindi.push('ठीक है।'), []);
  assert.deepEqual(hindi.push(' '), ['ठीक है।']);
});

test('the chunker is reusable after flush, and the first-clause rule applies again', () => {
  const chunker = new SentenceChunker({ firstClauseMinChars: 5 });
  assert.deepEqual([...chunker.push('Hello there, friend. Bye, now.'), ...chunker.flush()], ['Hello there,', 'friend.', 'Bye, now.']);
  assert.deepEqual([...chunker.push('Hello there, friend.'), ...chunker.flush()], ['Hello there,', 'friend.']);
});

/** Deterministic PRNG so a failure can be reproduced. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function feed(pieces: string[], options?: SentenceChunkerOptions): string[] {
  const chunker = new SentenceChunker(options);
  const out: string[] = [];
  for (const p of pieces) out.push(...chunker.push(p));
  out.push(...chunker.flush());
  return out;
}

test('the same text in any delta split gives the same chunks', () => {
  const random = mulberry32(20260514);
  const texts = [...CASES.map((c) => [c.text, c.options] as const), [CASES.map((c) => c.text).join(' '), { maxChars: 60 }] as const];
  for (const [text, options] of texts) {
    const whole = chunkText(text, options);
    assert.deepEqual(feed([...text], options), whole, `char by char: ${JSON.stringify(text)}`);
    for (let trial = 0; trial < 40; trial++) {
      const pieces: string[] = [];
      for (let at = 0; at < text.length; ) {
        const len = 1 + Math.floor(random() * 8);
        pieces.push(text.slice(at, at + len));
        at += len;
      }
      assert.deepEqual(feed(pieces, options), whole, `split ${JSON.stringify(pieces)}`);
    }
  }
});

test('speakable strips markdown a voice would read out', () => {
  const table: [string, string][] = [
    ['**bold** and *italic* and __strong__', 'bold and italic and strong'],
    ['### Heading', 'Heading'],
    ['- bullet item', 'bullet item'],
    ['• bullet item', 'bullet item'],
    ['3) third option', 'third option'],
    ['> quoted', 'quoted'],
    ['run `npm test` now', 'run npm test now'],
    ['~~old~~ new', 'old new'],
    ['snake_case_name stays', 'snake_case_name stays'],
    ['a - b range stays', 'a - b range stays'],
    ['[docs](https://x.y/z) here', 'docs here'],
  ];
  for (const [input, expected] of table) assert.equal(speakable(input), expected, input);
});
