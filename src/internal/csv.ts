/**
 * CSV formula neutralisation (OWASP "CSV Injection"): a spreadsheet runs a cell starting with `=`,
 * `+`, `-`, `@`, TAB or CR as a formula. Text cells that start so get a leading `'`, which spreadsheets
 * show as text and never evaluate. Numbers are left alone (`-3` in a numeric column is a number).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** `'` + the text when a spreadsheet would read it as a formula, else the text unchanged. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
