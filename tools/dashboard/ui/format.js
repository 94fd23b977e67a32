export const time = (ms) => (ms ? new Date(ms).toISOString().slice(11, 23) : '');
export const json = (value) => JSON.stringify(value, null, 2);
export const short = (value, n = 80) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
};
