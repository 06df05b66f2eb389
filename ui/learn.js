// The "Watch it learn" pad (ui/learn.py), run after ui/pad.js in its scope: every reading carries
// the key the server gave this page when its training ended (the status line's data-key), so the
// server answers with this page's own network and no one else's.
const readWithoutKey = server.read_pad;
server.read_pad = (payload) => {
  const status = document.querySelector('#learn-status [data-key]');
  return readWithoutKey(status ? { ...payload, key: status.dataset.key } : payload);
};
