// A gettext plural rule, such as "(n != 1)" or Arabic's six-way
// "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)", turned
// into a function of n without eval (the page's Content-Security-Policy forbids it, rightly):
// a small recursive-descent parser for the C subset gettext uses.

const TOKEN = /\s*(\d+|n|\|\||&&|==|!=|<=|>=|[-+*\/%<>!?:()])/y;

function tokens(text) {
  const out = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) {
      if (/^\s*$/.test(text.slice(start))) break;
      throw new SyntaxError(`plural rule: unexpected ${text.slice(start, start + 10)}`);
    }
    out.push(match[1]);
  }
  return out;
}

const BINARY = [["||"], ["&&"], ["==", "!="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]];
const APPLY = {
  "||": (a, b) => +(a || b), "&&": (a, b) => +(a && b), "==": (a, b) => +(a === b), "!=": (a, b) => +(a !== b),
  "<": (a, b) => +(a < b), ">": (a, b) => +(a > b), "<=": (a, b) => +(a <= b), ">=": (a, b) => +(a >= b),
  "+": (a, b) => a + b, "-": (a, b) => a - b, "*": (a, b) => a * b,
  "/": (a, b) => Math.trunc(a / b), "%": (a, b) => a % b,
};

/** The function n -> plural form index for a gettext rule; English's if the rule is unreadable. */
export function parsePlural(rule, nplurals = 2) {
  try {
    const list = tokens(String(rule || "(n != 1)"));
    let at = 0;
    const peek = () => list[at];
    const take = (want) => {
      if (want !== undefined && list[at] !== want) throw new SyntaxError(`plural rule: expected ${want}`);
      return list[at++];
    };
    const ternary = () => {
      const test = binary(0);
      if (peek() !== "?") return test;
      take("?");
      const yes = ternary();
      take(":");
      const no = ternary();
      return (n) => (test(n) ? yes(n) : no(n));
    };
    const binary = (level) => {
      if (level === BINARY.length) return unary();
      let left = binary(level + 1);
      while (BINARY[level].includes(peek())) {
        const op = APPLY[take()], l = left, right = binary(level + 1);
        left = (n) => op(l(n), right(n));
      }
      return left;
    };
    const unary = () => {
      const token = take();
      if (token === "!") { const inner = unary(); return (n) => +!inner(n); }
      if (token === "(") { const inner = ternary(); take(")"); return inner; }
      if (token === "n") return (n) => n;
      if (/^\d+$/.test(token || "")) { const value = Number(token); return () => value; }
      throw new SyntaxError(`plural rule: unexpected ${token}`);
    };
    const rule_ = ternary();
    if (at !== list.length) throw new SyntaxError("plural rule: trailing text");
    return (n) => {
      const index = Number(rule_(Math.abs(Math.trunc(Number(n) || 0))));
      return index >= 0 && index < nplurals ? index : nplurals - 1;
    };
  } catch {
    return (n) => (n === 1 ? 0 : 1);
  }
}
