import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SentenceChunker, speakable, splitSentences, type SentenceOptions } from '../../src/providers/text/sentences.js';

interface Case {
  name: string;
  text: string;
  sentences: string[];
  options?: SentenceOptions;
}

const CASES: Case[] = [
  { name: 'sentence ends', text: 'Hello there, friend. How are you doing? I am fine, thanks!', sentences: ['Hello there, friend.', 'How are you doing?', 'I am fine, thanks!'] },
  { name: 'titles and currency abbreviations', text: 'Dr. Sharma will see you at 10.30 tomorrow. Please bring Rs. 500 in cash.', sentences: ['Dr. Sharma will see you at 10.30 tomorrow.', 'Please bring Rs. 500 in cash.'] },
  { name: 'e.g. and i.e.', text: 'Bring an ID, e.g. Aadhaar or PAN. We also need proof, i.e. a bill.', sentences: ['Bring an ID, e.g. Aadhaar or PAN.', 'We also need proof, i.e. a bill.'] },
  { name: 'Mr. and Mrs.', text: 'Mr. and Mrs. Rao are here. Shall I call them?', sentences: ['Mr. and Mrs. Rao are here.', 'Shall I call them?'] },
  { name: 'No. before a number, and as an answer', text: 'Go to counter No. 5 now. No. That is not possible.', sentences: ['Go to counter No. 5 now.', 'No. That is not possible.'] },
  { name: 'decimals and a sentence-final number', text: 'The rate is 3.5 percent. Your balance is 520. Anything else?', sentences: ['The rate is 3.5 percent.', 'Your balance is 520.', 'Anything else?'] },
  { name: 'times', text: 'Meet me at 10.30 a.m. Tomorrow works too.', sentences: ['Meet me at 10.30 a.m.', 'Tomorrow works too.'] },
  { name: 'domains', text: 'Visit exotel.com today. Thanks.', sentences: ['Visit exotel.com today.', 'Thanks.'] },
  { name: 'initials', text: 'A. R. Rahman composed it. Nice, right?', sentences: ['A. R. Rahman composed it.', 'Nice, right?'] },
  { name: 'ellipsis before lowercase continues, before a capital ends', text: 'Hmm... let me check. Okay, I looked it up… Found it!', sentences: ['Hmm... let me check.', 'Okay, I looked it up…', 'Found it!'] },
  { name: 'closing quotes and brackets stay with their sentence', text: 'He said "call me tomorrow." Then he left (quickly.) Bye.', sentences: ['He said "call me tomorrow."', 'Then he left (quickly.)', 'Bye.'] },
  { name: 'repeated marks', text: 'Are you serious?! Yes, I am!!! Great.', sentences: ['Are you serious?!', 'Yes, I am!!! Great.'] },
  {
    name: 'Hindi danda, double danda, question mark',
    text: 'आपका बैलेंस पाँच सौ रुपये है। क्या मैं और मदद करूँ? धन्यवाद॥',
    sentences: ['आपका बैलेंस पाँच सौ रुपये है।', 'क्या मैं और मदद करूँ?', 'धन्यवाद॥'],
  },
  { name: 'a danda needs no space after it', text: 'आपका काम हो गया है।धन्यवाद, फिर मिलेंगे।', sentences: ['आपका काम हो गया है।', 'धन्यवाद, फिर मिलेंगे।'] },
  { name: 'Hinglish with Rs.', text: 'Aapka balance Rs. 520 hai. Kuch aur?', sentences: ['Aapka balance Rs. 520 hai.', 'Kuch aur?'] },
  {
    name: 'first chunk ends early at a clause once long enough; later commas do not split',
    text: 'Sure, I can help you with that, let me pull up your account. Yes, the plan has calls, SMS, and data.',
    sentences: ['Sure, I can help you with that,', 'let me pull up your account.', 'Yes, the plan has calls, SMS, and data.'],
  },
  { name: 'a short first clause is not split', text: 'Sure, one moment.', sentences: ['Sure, one moment.'] },
  {
    name: 'clause marks without a space are not clause ends',
    text: 'We credited 1,000 points at 10:30, which you can use today.',
    sentences: ['We credited 1,000 points at 10:30,', 'which you can use today.'],
    options: { firstClauseMinChars: 10 },
  },
  { name: 'clause splitting off', text: 'Sure, I can help you with that, let me check.', sentences: ['Sure, I can help you with that, let me check.'], options: { firstClauseMinChars: Infinity } },
  { name: 'semicolon and colon as first clause', text: 'Your request has been registered; the reference is 42.', sentences: ['Your request has been registered;', 'the reference is 42.'] },
  { name: 'a sentence shorter than minChars joins the next', text: 'Yes. I can help you with that. Okay.', sentences: ['Yes. I can help you with that.', 'Okay.'] },
  { name: 'several short ones join until long enough', text: 'Yes. Sure. Of course. Bye.', sentences: ['Yes. Sure. Of course.', 'Bye.'] },
  { name: 'minChars 0 keeps every sentence', text: 'Yes. Sure. Bye.', sentences: ['Yes.', 'Sure.', 'Bye.'], options: { minChars: 0 } },
  {
    name: 'markdown noise is stripped from model text',
    text: '**Your plan:** Unlimited calls.\n\n- 2 GB data per day\n* 100 SMS\n## Next steps\nDial `*121#` to _check_ it.',
    sentences: ['Your plan: Unlimited calls.', '2 GB data per day', '100 SMS Next steps', 'Dial 121 to check it.'],
    options: { markdown: true },
  },
  { name: 'without markdown, symbols are kept', text: 'Dial *121# to check your balance.\nPress # to go back.', sentences: ['Dial *121# to check your balance.', 'Press # to go back.'] },
  { name: 'numbered list', text: 'Your options are:\n1. Check balance\n2. Recharge now', sentences: ['Your options are:', 'Check balance', 'Recharge now'], options: { markdown: true, minChars: 0 } },
  { name: 'bold sentence end', text: 'Your total is **₹520.** Anything else?', sentences: ['Your total is ₹520.', 'Anything else?'], options: { markdown: true } },
  { name: 'links keep their text', text: 'See [our plans](https://exotel.com/plans) online. Bye.', sentences: ['See our plans online.', 'Bye.'], options: { markdown: true } },
  { name: 'a line break ends a sentence without punctuation', text: 'Thanks for calling us\nGoodbye', sentences: ['Thanks for calling us', 'Goodbye'] },
  { name: 'whitespace collapses', text: '  Hello   there, friend.\t\tHow  are\r\nyou?  ', sentences: ['Hello there, friend.', 'How are you?'] },
  { name: 'noise-only text gives nothing', text: '***\n\n---\n...\n`', sentences: [], options: { markdown: true } },
  { name: 'empty text', text: '', sentences: [] },
  { name: 'blank text', text: ' \n ', sentences: [] },
  { name: 'an unfinished last sentence is flushed', text: 'Okay, that is done. And then', sentences: ['Okay, that is done.', 'And then'] },
];

for (const c of CASES) {
  test(`sentences: ${c.name}`, () => {
    assert.deepEqual(splitSentences(c.text, c.options), c.sentences);
  });
}

test('a long run-on is cut at spaces near maxChars, never inside a word', () => {
  const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
  const text = words.join(' ');
  const chunks = splitSentences(text, { maxChars: 40 });
  assert.ok(chunks.length > 5);
  for (const chunk of chunks) assert.ok(chunk.length <= 40, chunk);
  assert.deepEqual(chunks.join(' ').split(' '), words);
});

test('one word longer than maxChars is cut at maxChars', () => {
  assert.deepEqual(splitSentences('x'.repeat(25), { maxChars: 10 }), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
});

test('a short sentence waiting for the next is let go rather than exceed maxChars', () => {
  assert.deepEqual(splitSentences(`Yes. ${'y'.repeat(30)}.`, { maxChars: 20 }), ['Yes.', 'y'.repeat(19), `${'y'.repeat(11)}.`]);
});

test('sentences come out as soon as the text decides them', () => {
  const chunker = new SentenceChunker();
  assert.deepEqual(chunker.push('Hello there, friend.'), []); // could still be "friend.com" or "Dr." before a name
  assert.deepEqual(chunker.push(' H'), ['Hello there, friend.']);
  assert.deepEqual(chunker.push('ow are you doing?'), []);
  assert.deepEqual(chunker.push(' I'), ['How are you doing?']);
  assert.deepEqual(chunker.push(' am'), []);
  assert.deepEqual(chunker.flush(), ['I am']);

  const first = new SentenceChunker();
  assert.deepEqual(first.push('Sure, I can help you with that,'), []);
  assert.deepEqual(first.push(' let'), ['Sure, I can help you with that,']);
  assert.deepEqual(first.push(' me check, okay'), []); // only the first chunk may end at a clause
  assert.deepEqual(first.push('!'), []);
  assert.deepEqual(first.push(' '), ['let me check, okay!']);

  const short = new SentenceChunker();
  assert.deepEqual(short.push('Yes. '), []); // too short: it waits for the next sentence
  assert.deepEqual(short.push('That is right. '), []);
  assert.deepEqual(short.push('N'), ['Yes. That is right.']);

  const hindi = new SentenceChunker();
  assert.deepEqual(hindi.push('आपका काम हो गया है।'), []);
  assert.deepEqual(hindi.push(' '), ['आपका काम हो गया है।']);
});

test('the chunker is reusable after flush, and the first-clause rule applies again', () => {
  const chunker = new SentenceChunker({ firstClauseMinChars: 5, minChars: 0 });
  assert.deepEqual([...chunker.push('Hello there, friend. Bye, now.'), ...chunker.flush()], ['Hello there,', 'friend.', 'Bye, now.']);
  assert.deepEqual([...chunker.push('Hello there, friend.'), ...chunker.flush()], ['Hello there,', 'friend.']);
});

// Text made of the pieces the rules look at, so random texts hit abbreviations, decimals, ellipses,
// dandas, clause marks, closers, markdown and newlines often.
const TOKENS = [
  'Dr', 'Rs', 'No', 'e.g', 'A', 'I', 'Rao', 'rao', 'okay', 'Okay', 'ठीक', 'है', '3', '3.5', '10:30', '1,000', 'exotel.com', 'word',
  '.', '.', '..', '...', '…', '?', '!', '?!', '।', '॥', ',', ';', ':', '"', ')', '**', '_', '`', '#', '- ', '1. ',
  ' ', ' ', ' ', '  ', '\n', '\n\n', '\t',
];
const text = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((t) => t.join(''));
const options = fc.record(
  {
    minChars: fc.integer({ min: 0, max: 40 }),
    maxChars: fc.integer({ min: 8, max: 120 }),
    firstClauseMinChars: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(Infinity)),
    markdown: fc.boolean(),
  },
  { requiredKeys: [] },
);
/** `text` cut at the given positions (sorted, deduplicated, any of them may be 0 or the end). */
function cutAt(whole: string, at: number[]): string[] {
  const points = [...new Set(at.map((p) => p % (whole.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const p of [...points, whole.length]) {
    pieces.push(whole.slice(from, p));
    from = p;
  }
  return pieces;
}

test('property: fed in any pieces, the chunker gives exactly the sentences of the whole text', () => {
  fc.assert(
    fc.property(text, options, fc.array(fc.nat(), { maxLength: 30 }), (whole, opts, at) => {
      const chunker = new SentenceChunker(opts);
      const streamed: string[] = [];
      for (const piece of cutAt(whole, at)) streamed.push(...chunker.push(piece));
      streamed.push(...chunker.flush());
      assert.deepEqual(streamed, splitSentences(whole, opts));
    }),
    { seed: 20261206, numRuns: 3000 },
  );
});

test('property: sentences are trimmed, within maxChars, and keep every letter and digit in order', () => {
  fc.assert(
    fc.property(text, options, (whole, opts) => {
      const sentences = splitSentences(whole, { ...opts, markdown: false });
      const maxChars = Math.max(8, opts.maxChars ?? 200);
      for (const s of sentences) {
        assert.equal(s, s.trim());
        assert.ok(s.length > 0 && s.length <= maxChars + 3, s); // + closers after a mark at the limit
      }
      // Only whitespace and pieces without a letter or digit are dropped: no letter or digit is lost.
      const letters = (s: string) => s.replace(/[^\p{L}\p{N}]/gu, '');
      assert.equal(letters(sentences.join('')), letters(whole));
    }),
    { seed: 20261206, numRuns: 1000 },
  );
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
