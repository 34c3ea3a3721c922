// Reading the /v1 API: JSON answers, problem+json errors, and paging by meta.next.

export class ApiError extends Error {}

// At most this many pages of one list; the lists here are far shorter.
const MAX_PAGES = 50;

export async function getJSON(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new ApiError(`The service could not be reached (${error.message}).`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // A body that is not JSON is reported below by its status.
  }
  if (!response.ok) {
    const title = body?.title ?? `${response.status} ${response.statusText}`.trim();
    const detail = body?.detail ? `: ${body.detail}` : "";
    throw new ApiError(`The service answered ${response.status} (${title}${detail}).`);
  }
  if (body === null) {
    throw new ApiError(`The service's answer to ${path} was not JSON.`);
  }
  return body;
}

// Every record of a list, following meta.next; the meta of the first page.
export async function getAll(path) {
  const first = await getJSON(path);
  const data = [...first.data];
  let next = first.meta.next;
  for (let page = 1; next && page < MAX_PAGES; page += 1) {
    const url = new URL(path, window.location.href);
    url.searchParams.set("cursor", next);
    const answer = await getJSON(url.pathname + url.search);
    data.push(...answer.data);
    next = answer.meta.next;
  }
  return { data, meta: first.meta };
}
