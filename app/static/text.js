// The API's offsets count Unicode code points, as Python does; JavaScript strings index UTF-16
// code units, which differ after any character outside the Basic Multilingual Plane (an emoji,
// a flag). So an article is cut as an array of code points, never with String.slice.

// The article around one citation: before, the sentence up to the quote, the quote, the rest of
// the sentence, after. Null when the offsets do not fit the text or do not give back `sentence`.
export function citationParts(text, provenance) {
  const points = Array.from(text);
  const { char_start: start, char_end: end } = provenance;
  const quoteStart = clamp(provenance.quote_start, start, end);
  const quoteEnd = clamp(provenance.quote_end, quoteStart, end);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end)) {
    return null;
  }
  if (end > points.length) {
    return null;
  }
  const part = (from, to) => points.slice(from, to).join("");
  if (part(start, end) !== provenance.sentence) {
    return null;
  }
  return {
    before: part(0, start),
    sentenceBefore: part(start, quoteStart),
    quote: part(quoteStart, quoteEnd),
    sentenceAfter: part(quoteEnd, end),
    after: part(end, points.length),
  };
}

function clamp(value, low, high) {
  if (!Number.isInteger(value)) {
    return low;
  }
  return Math.min(Math.max(value, low), high);
}

// How long ago a report dated `date` (YYYY, YYYY-MM or YYYY-MM-DD) was, from `today` (a Date):
// counted from the last day of its period, as the API's `stale` is.
export function ageOf(date, today) {
  const [year, month, day] = date.split("-").map(Number);
  const end = month === undefined
    ? Date.UTC(year, 11, 31)
    : day === undefined ? Date.UTC(year, month, 0) : Date.UTC(year, month - 1, day);
  const days = Math.floor((today.getTime() - end) / 86_400_000);
  if (days < 1) {
    return month === undefined ? "this year" : day === undefined ? "this month" : "today";
  }
  if (days < 60) {
    return days === 1 ? "1 day ago" : `${days} days ago`;
  }
  const months = Math.round(days / 30.44);
  if (months < 24) {
    return `${months} months ago`;
  }
  return `${Math.floor(days / 365.25)} years ago`;
}
