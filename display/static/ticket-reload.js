// The ticket page in a browser without JavaScript modules: reload every 20 s instead of
// following the socket (ticket.js). A file of its own, as the pages allow no inline script.
setTimeout(function () {
  location.reload();
}, 20000);
