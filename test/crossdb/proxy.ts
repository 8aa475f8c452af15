import { connect, createServer, type Socket } from 'node:net'

/** A TCP proxy in front of a database server: stopping it is the server going down, as its clients see it. */
export interface Proxy {
  port: number
  /** `url` with its port replaced by the proxy's. */
  via(url: string): string
  /** Refuses new connections and cuts the open ones. */
  stop(): Promise<void>
}

/** Starts a proxy on a free local port that forwards every connection to 127.0.0.1:`targetPort`. */
export async function startProxy(targetPort: number): Promise<Proxy> {
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    track(client)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    port,
    via(url) {
      const parsed = new URL(url)
      parsed.port = String(port)
      return parsed.toString()
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}
