// What a frontend writes against the types openapi-typescript generates from openapi.json:
// list a country's crossings, and read each one's status and the sentence it rests on.
import type { components, paths } from "./api";

type CrossingsQuery = NonNullable<paths["/v1/crossings"]["get"]["parameters"]["query"]>;
type CrossingsPage =
  paths["/v1/crossings"]["get"]["responses"][200]["content"]["application/json"];
type Crossing = components["schemas"]["CrossingOut"];
type Status = Crossing["status"];

export async function crossings(base: string, query: CrossingsQuery): Promise<Crossing[]> {
  const url = new URL("/v1/crossings", base);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
  }
  const response = await fetch(url);
  const page = (await response.json()) as CrossingsPage;
  return page.data;
}

/** "Narva: open since 2022, as 001_2d175952eb0183b5.txt #44 says: …" */
export function describe(crossing: Crossing): string {
  const since = crossing.status_since ? ` since ${crossing.status_since}` : "";
  const cited = crossing.provenance.map(
    (p) => `${p.source_file} #${p.sentence_index} says: "${p.sentence}"`,
  );
  return `${crossing.name}: ${crossing.status}${since} (${crossing.status_basis}), as ${cited.join("; ")}`;
}

export const open: Status = "open";

export async function latvia(base: string): Promise<string[]> {
  const listed = await crossings(base, { country: "LV", status: "closed", as_of: "2024" });
  return listed.map(describe);
}

// The schema's enums reach the types: a status or a country it doesn't list is an error.
// @ts-expect-error "ajar" is not a status
export const ajar: Status = "ajar";
// @ts-expect-error "XX" is not a country the service covers
export const nowhere: CrossingsQuery = { country: "XX" };
