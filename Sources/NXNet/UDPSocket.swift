import Glibc

/// A socket-level failure: which operation, which address, and the system's reason.
public struct SocketError: Error, CustomStringConvertible, Equatable {
    /// The failing call (e.g. "bind").
    public let operation: String
    /// The address involved, if any.
    public let address: String?
    /// `errno` of the failure.
    public let code: Int32

    public var description: String {
        "\(operation)\(address.map { " \($0)" } ?? "") failed: \(errnoDescription(code)) (errno \(code))"
    }
}

/// A bound UDP socket on Glibc. The descriptor stays blocking for sends (so a burst of
/// fragments waits for send-buffer space instead of failing with EAGAIN); receives use
/// `MSG_DONTWAIT` after `poll` says the socket is readable.
///
/// Thread-safety: `send` may be called from any thread concurrently (the kernel serialises
/// datagrams); `receive`/`waitReadable` belong to one thread; `close` must not race any other
/// call (the transport guards it with a read/write lock).
final class UDPSocket {
    let descriptor: Int32
    let family: SocketAddress.Family
    /// Whether IPv4 peers are reachable through IPv4-mapped addresses (IPv6 wildcard socket).
    let dualStack: Bool
    private var closed = false

    /// Creates a socket bound to `address`, with send/receive buffers of `bufferBytes` (the
    /// kernel may cap them at net.core.rmem_max / wmem_max).
    init(bind address: SocketAddress, bufferBytes: Int) throws {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", address: address.description, code: errno) }
        descriptor = fd
        family = address.family
        dualStack = address.family == .ipv6 && address.isWildcard
        if address.family == .ipv6 {
            var v6only: Int32 = dualStack ? 0 : 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size))
        }
        var size = Int32(clamping: bufferBytes)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        guard rc == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(operation: "bind", address: address.description, code: code)
        }
    }

    deinit { close() }

    /// The bound address (with the kernel-chosen port when bound to port 0).
    func localAddress() throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard rc == 0 else { throw SocketError(operation: "getsockname", address: nil, code: errno) }
        let address = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(sockaddr: $0, length: length) }
        }
        guard let address else { throw SocketError(operation: "getsockname", address: nil, code: EAFNOSUPPORT) }
        return address.unmapped
    }

    /// The destination as this socket must address it (IPv4 peers of a dual-stack IPv6 socket
    /// become IPv4-mapped), or nil when the family cannot be reached from this socket.
    func reachableForm(of address: SocketAddress) -> SocketAddress? {
        if address.family == family { return address }
        if dualStack && address.family == .ipv4 { return address.mappedToIPv6 }
        return nil
    }

    /// Sends one datagram; returns 0 or the `errno` of the failure.
    func send(_ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> Int32 {
        guard let destination = reachableForm(of: address) else { return EAFNOSUPPORT }
        while true {
            let n = destination.withSockaddr { sa, length in
                sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
            }
            if n >= 0 { return 0 }
            let code = errno
            if code != EINTR { return code }
        }
    }

    /// Waits up to `timeoutMilliseconds` for a datagram; returns whether one is ready.
    func waitReadable(timeoutMilliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, timeoutMilliseconds) > 0 && pfd.revents & Int16(POLLIN) != 0
    }

    /// Receives one datagram without blocking. Returns the datagram's full length (which may
    /// exceed `buffer.count`: `MSG_TRUNC` reports the real size, so oversized datagrams are
    /// detected rather than silently cut) and its source; nil when none is pending.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> (length: Int, source: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let n = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT | MSG_TRUNC), $0, &length)
                }
            }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            let source = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(sockaddr: $0, length: length) }
            }
            guard let source else { continue }
            return (n, source.unmapped)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(descriptor)
    }
}
