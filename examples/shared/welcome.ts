/** What both servers print on start: where they are, and requests that show MISS, then HIT. */
export function printWelcome(framework: string, url: string, store: string): void {
  const stats = `${url}/rides/stats?borough=Brooklyn&hour=8`;
  console.log(`Larder ${framework} example listening on ${url} (store: ${store})

Run each command twice and watch the X-Cache header: MISS, then HIT.
(The first rides request generates and parses the dataset; it takes a second.)

  curl -i '${stats}'
  curl -i '${url}/rides/top-routes?limit=5'
  curl -i '${url}/zones/4/reviews?limit=3'
  curl -i '${url}/sentiment?text=What%20a%20smooth%20ride'

Drop every response tagged 'rides', then see the next request MISS:

  curl -i -X POST '${url}/admin/invalidate?tag=rides'
  curl -i '${stats}'

Hits, misses and compute time per route and function:

  curl '${url}/admin/stats'

With the SQLite store, entries survive a restart: run the server again and the same requests HIT.
`);
}
