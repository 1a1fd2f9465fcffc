// Shared by smoke.mjs and smoke.cjs: the X-Cache header of two GETs to `path`, then the server is closed.
const { once } = require('node:events');

module.exports = async function fetchTwice(server, path) {
  if (!server.listening) await once(server, 'listening');
  const xCache = [];
  for (let i = 0; i < 2; i++) xCache.push((await fetch(`http://127.0.0.1:${server.address().port}${path}`)).headers.get('x-cache'));
  server.close();
  return xCache;
};
