// Package faultproxy is a fault-injecting reverse proxy for registry tests.
//
// A Proxy listens on 127.0.0.1 (a random port) and forwards every request to
// a target registry, e.g. http://localhost:5000, keeping the client's Host
// header so that the upload locations the registry hands out point back at
// the proxy. Rules, checked in the order they were added, pick requests by
// method and path and by their position among the requests they match, and
// replace or disturb them with a Fault:
//
//   - Status answers 500, 502, 503 (or any code) with a registry-style JSON
//     error body; TooManyRequests adds Retry-After; Unauthorized answers 401
//     with WWW-Authenticate.
//   - Delay forwards the request late (slow responses).
//   - ResetRequest reads part of the request body (a blob upload, say) and
//     then resets the TCP connection; ResetResponse forwards the request and
//     resets the connection part way through the response body.
//   - Hold forwards part of the request body (or none of it), signals a
//     channel and blocks until the client goes away or the proxy closes: a
//     test can then kill the client at a known point.
//
// Resets close the connection with SO_LINGER 0, so the client sees a real
// RST rather than an orderly end of stream.
//
// Injected counts the faults applied so far.
package faultproxy
