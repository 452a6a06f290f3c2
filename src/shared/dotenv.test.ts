import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../core/errors.js';
import { formatDotenv, parseDotenv } from './dotenv.js';

const parses: Array<[string, string, Record<string, string>]> = [
  ['empty file', '', {}],
  ['plain', 'A=1\nB=two words\n', { A: '1', B: 'two words' }],
  ['comments and blank lines', '# top\n\n  # indented\nA=1\n\n', { A: '1' }],
  ['export prefix', 'export A=1\nexport\tB=2', { A: '1', B: '2' }],
  ['a key named export', 'export=1', { export: '1' }],
  ['spaces around =', 'A = 1\n  B=  2  ', { A: '1', B: '2' }],
  ['empty values', 'A=\nB=""\nC=\'\'\nD= # just a comment', { A: '', B: '', C: '', D: '' }],
  ['inline comments', 'A=1 # one\nB=x\t# tab', { A: '1', B: 'x' }],
  ['# inside a value stays', 'URL=https://x/#/a\nP=pa#ss', { URL: 'https://x/#/a', P: 'pa#ss' }],
  ['= inside a value', 'Q=a=b=c', { Q: 'a=b=c' }],
  ['single quotes are literal', "A='a \\n $HOME \"q\" # not a comment' # comment", { A: 'a \\n $HOME "q" # not a comment' }],
  ['backticks are literal', 'A=`it\'s "x"`', { A: 'it\'s "x"' }],
  ['double-quote escapes', 'A="l1\\nl2\\tt\\r \\"q\\" \\\\ \\x"', { A: 'l1\nl2\tt\r "q" \\ \\x' }],
  ['multiline double quotes', 'KEY="-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----"\nNEXT=1', { KEY: '-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----', NEXT: '1' }],
  ['multiline single quotes', "A='x\ny'", { A: 'x\ny' }],
  ['CRLF line endings and a BOM', '\uFEFFA=1\r\nB="x"\r\n', { A: '1', B: 'x' }],
  ['the last repeat wins', 'A=1\nA=2', { A: '2' }],
  ['references and $ stay as written', 'U=https://${{ api.RAILWAY_PUBLIC_DOMAIN }}/v1\nH=$HOME', { U: 'https://${{ api.RAILWAY_PUBLIC_DOMAIN }}/v1', H: '$HOME' }],
  ['unicode', 'G=héllo ✓', { G: 'héllo ✓' }],
];

for (const [what, text, expected] of parses) {
  test(`parseDotenv: ${what}`, () => {
    assert.deepEqual(parseDotenv(text), expected);
  });
}

test('parseDotenv: __proto__ is an ordinary key', () => {
  const values = parseDotenv('__proto__=x\nA=1');
  assert.deepEqual(Object.keys(values), ['__proto__', 'A']);
  assert.equal(Object.getPrototypeOf(values), Object.prototype);
});

const errors: Array<[string, string, RegExp]> = [
  ['no =', 'A=1\njust words', /^\.env:2: expected KEY=VALUE, found 'just words'$/],
  ['a bad key', 'A=1\n\nMY-KEY=1', /^\.env:3: 'MY-KEY' is not a valid variable name/],
  ['a key starting with a digit', '1A=1', /^\.env:1: '1A' is not/],
  ['an unclosed double quote', 'A=1\nB="open\nC=2', /^\.env:2: the value opened with " is never closed$/],
  ['an unclosed single quote', "B='open", /^\.env:1: the value opened with ' is never closed$/],
  ['text after the closing quote', 'A="x"y', /^\.env:1: unexpected text after the closing "$/],
];

for (const [what, text, message] of errors) {
  test(`parseDotenv rejects ${what}`, () => {
    assert.throws(() => parseDotenv(text), (err: unknown) => isWharfError(err) && err.code === 'BAD_REQUEST' && message.test(err.message) && !!err.hint);
  });
}

test('parseDotenv names the file', () => {
  assert.throws(() => parseDotenv('x', 'prod.env'), /^WharfError: prod\.env:1:/);
});

test('formatDotenv quotes only when needed', () => {
  assert.equal(
    formatDotenv({ A: 'plain-value_1.2/3:4@5', B: '', C: 'two words', D: "it's", E: 'l1\nl2', F: '#x', G: '$HOME', H: '${{ api.URL }}', I: 'back\\slash "q"' }),
    [
      'A=plain-value_1.2/3:4@5',
      'B=',
      "C='two words'",
      'D="it\'s"',
      'E="l1\\nl2"',
      "F='#x'",
      "G='$HOME'",
      "H='${{ api.URL }}'",
      'I=\'back\\slash "q"\'',
      '',
    ].join('\n'),
  );
  assert.equal(formatDotenv({}), '');
  assert.throws(() => formatDotenv({ 'BAD KEY': 'x' }), /not a valid variable name/);
});

test('formatDotenv → parseDotenv round trip', () => {
  const samples: Record<string, string> = {
    EMPTY: '',
    SPACES: '  padded  ',
    QUOTES: `'single' "double" \`back\``,
    NEWLINES: 'a\nb\r\nc\rd',
    BACKSLASHES: '\\n is not a newline \\\\',
    HASH: 'a # b',
    LEADING_HASH: '# c',
    DOLLAR: '$X ${Y} ${{ shared.Z }}',
    UNICODE: 'ünï ✓ 🚢',
    EQUALS: '==a==',
    TABS: '\tx\t',
    PEM: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
  };
  assert.deepEqual(parseDotenv(formatDotenv(samples)), samples);
  const chars = 'aZ9 _-=#"\'`\\$\n\r\t{}✓';
  for (let round = 0; round < 300; round++) {
    const values: Record<string, string> = {};
    for (let k = 0; k < 4; k++) values[`K${k}`] = Array.from({ length: Math.floor(Math.random() * 12) }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
    assert.deepEqual(parseDotenv(formatDotenv(values)), values, JSON.stringify(values));
  }
});
