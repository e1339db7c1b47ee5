export const USAGE = 'usage: qrpcurl [options] ADDRESS/CMD [PAYLOAD]';

export const HELP = `${USAGE}

curl for qrpc servers: sends one request (or a stream) and prints the
request and response frames.

ADDRESS   host:port, tls://host:port, ws://host:port[/path] (path /qrpc
          when absent), wss://host:port[/path]
CMD       the request's cmd, 0..16777215 (decimal or 0x hex)
PAYLOAD   the first frame's payload (UTF-8); none: empty

Options:
  -f, --flag N         frame flags, 0..255 (Go qrpcurl's -f)
      --nb             add the NB (non-blocking) flag
  -w, --ws             over the WebSocket overlay (Go qrpcurl's -w; also --web)
      --tls            over TLS (tls:// or, with --ws, wss://)
      --tls-ca FILE    trust this CA (PEM) for the server's certificate
      --tls-cert FILE  client certificate (PEM), for mutual TLS
      --tls-key FILE   its private key (PEM)
      --servername N   name to check the server's certificate against
      --stream         a streamed request: PAYLOAD (if given), then one frame
                       per line of stdin; the last one ends the stream
      --listen-pushes  after the answer (or without CMD: at once), print the
                       server's pushes until Ctrl-C, --timeout or the server closes
      --timeout SECS   limit for connect plus the whole exchange (decimals
                       allowed, like curl --max-time); with --listen-pushes it
                       ends the listening instead (exit 0)
      --json           one JSON object per frame and line: type (request,
                       response, push), requestId (a string), flags, cmd,
                       payload, encoding (utf8 or base64)
  -h, --help           this text

Exit status:
  0  the answer arrived (every frame of a streamed one)
  1  usage: a bad option or argument, an unreadable --tls-* file
  2  connect failed (refused, unreachable, TLS refused, connect timeout)
  3  --timeout passed before the answer was complete
  4  the server reset the request, or closed the connection
  5  any other failure (also: stdout closed early)
`;
