import Glibc

/// An error in an address string: which text and what is wrong with it.
public struct AddressError: Error, CustomStringConvertible, Equatable {
    /// The address text as given.
    public let text: String
    /// What is wrong (e.g. "missing port", "cannot resolve host: Name or service not known").
    public let reason: String

    public var description: String { "invalid address '\(text)': \(reason)" }
}

/// An IPv4 or IPv6 UDP endpoint (address and port), hashable and cheap to copy.
///
/// Text forms: `127.0.0.1:7001`, `[::1]:7001`, `0.0.0.0:0` (any interface, ephemeral port),
/// `[::]:0`, `localhost:7001` (hostnames are resolved with ``resolve(_:preferring:)``).
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// Address family.
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    /// The address family.
    public let family: Family
    /// The UDP port (0: ephemeral, when binding).
    public let port: UInt16
    /// IPv6 bytes 0-7 big-endian (0 for IPv4).
    let high: UInt64
    /// IPv6 bytes 8-15 big-endian, or the IPv4 address in the low 32 bits.
    let low: UInt64
    /// IPv6 scope (interface index) for link-local addresses; 0 otherwise.
    let scopeId: UInt32

    /// An IPv4 address from its four octets.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.init(family: .ipv4, port: port, high: 0,
                  low: UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d), scopeId: 0)
    }

    /// An IPv6 address from its 16 bytes.
    public init?(ipv6 bytes: [UInt8], port: UInt16, scopeId: UInt32 = 0) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(family: .ipv6, port: port, high: h, low: l, scopeId: scopeId)
    }

    init(family: Family, port: UInt16, high: UInt64, low: UInt64, scopeId: UInt32) {
        self.family = family
        self.port = port
        self.high = high
        self.low = low
        self.scopeId = scopeId
    }

    /// Parses a numeric address (`1.2.3.4:5`, `[::1]:5`). Hostnames need ``resolve(_:preferring:)``.
    public init(_ text: String) throws {
        let (host, port) = try SocketAddress.split(text)
        guard let address = SocketAddress.numeric(host: host, port: port) else {
            throw AddressError(text: text, reason: "'\(host)' is not a numeric IPv4 or IPv6 address")
        }
        self = address
    }

    /// Resolves `host:port` (numeric or a hostname such as `localhost`). Results of the
    /// `preferring` family come first; numeric addresses resolve to themselves.
    ///
    /// - Throws: ``AddressError`` for a malformed text or a name that does not resolve.
    public static func resolve(_ text: String, preferring family: Family? = nil) throws -> [SocketAddress] {
        let (host, port) = try split(text)
        if let address = numeric(host: host, port: port) { return [address] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0 else {
            throw AddressError(text: text, reason: "cannot resolve host '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var found: [SocketAddress] = []
        var entry = list
        while let e = entry {
            if let sa = e.pointee.ai_addr, let address = SocketAddress(sockaddr: sa, length: e.pointee.ai_addrlen) {
                let withPort = SocketAddress(family: address.family, port: port, high: address.high,
                                             low: address.low, scopeId: address.scopeId)
                if !found.contains(withPort) { found.append(withPort) }
            }
            entry = e.pointee.ai_next
        }
        guard !found.isEmpty else { throw AddressError(text: text, reason: "host '\(host)' has no IPv4 or IPv6 address") }
        if let family {
            return found.filter { $0.family == family } + found.filter { $0.family != family }
        }
        return found
    }

    /// Splits `host:port` / `[v6]:port` into its parts.
    static func split(_ text: String) throws -> (host: String, port: UInt16) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw AddressError(text: text, reason: "missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw AddressError(text: text, reason: "missing ':port' after ']'") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw AddressError(text: text, reason: "missing port (expected host:port)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw AddressError(text: text, reason: "IPv6 addresses must be written in brackets, e.g. [::1]:7001")
            }
        }
        guard !host.isEmpty else { throw AddressError(text: text, reason: "empty host") }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText) else {
            throw AddressError(text: text, reason: "port '\(portText)' is not a number in 0...65535")
        }
        return (String(host), port)
    }

    /// A numeric IPv4/IPv6 host (with optional `%scope` for IPv6); nil when `host` is a name.
    static func numeric(host: String, port: UInt16) -> SocketAddress? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return SocketAddress(family: .ipv4, port: port, high: 0, low: UInt64(UInt32(bigEndian: v4.s_addr)), scopeId: 0)
        }
        var addressPart = host
        var scope: UInt32 = 0
        if let percent = host.firstIndex(of: "%") {
            addressPart = String(host[..<percent])
            let scopeText = String(host[host.index(after: percent)...])
            if let n = UInt32(scopeText) {
                scope = n
            } else {
                scope = if_nametoindex(scopeText)
                if scope == 0 { return nil }
            }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, addressPart, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        return SocketAddress(ipv6: bytes, port: port, scopeId: scope)
    }

    /// Converts a kernel socket address; nil for other families or a short length.
    init?(sockaddr sa: UnsafePointer<sockaddr>, length: socklen_t) {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET where Int(length) >= MemoryLayout<sockaddr_in>.size:
            let sin = UnsafeRawPointer(sa).loadUnaligned(as: sockaddr_in.self)
            self.init(family: .ipv4, port: UInt16(bigEndian: sin.sin_port), high: 0,
                      low: UInt64(UInt32(bigEndian: sin.sin_addr.s_addr)), scopeId: 0)
        case AF_INET6 where Int(length) >= MemoryLayout<sockaddr_in6>.size:
            var sin6 = UnsafeRawPointer(sa).loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
            self.init(ipv6: bytes, port: UInt16(bigEndian: sin6.sin6_port), scopeId: sin6.sin6_scope_id)
        default:
            return nil
        }
    }

    /// The 4 (IPv4) or 16 (IPv6) address bytes.
    public var addressBytes: [UInt8] {
        switch family {
        case .ipv4:
            return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * UInt64($0))) }
        case .ipv6:
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
        }
    }

    /// Whether this is the wildcard address (`0.0.0.0` or `::`).
    public var isWildcard: Bool { high == 0 && low == 0 }

    /// Whether this is a loopback address (127.0.0.0/8 or ::1).
    public var isLoopback: Bool {
        switch family {
        case .ipv4: return low >> 24 == 127
        case .ipv6: return high == 0 && low == 1
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as plain IPv4; other addresses unchanged.
    var unmapped: SocketAddress {
        guard family == .ipv6, high == 0, low >> 32 == 0xFFFF else { return self }
        return SocketAddress(family: .ipv4, port: port, high: 0, low: low & 0xFFFF_FFFF, scopeId: 0)
    }

    /// IPv4 as an IPv4-mapped IPv6 address (for a dual-stack IPv6 socket); IPv6 unchanged.
    var mappedToIPv6: SocketAddress {
        guard family == .ipv4 else { return self }
        return SocketAddress(family: .ipv6, port: port, high: 0, low: 0xFFFF_0000_0000 | low, scopeId: 0)
    }

    /// The same address with another port.
    public func withPort(_ port: UInt16) -> SocketAddress {
        SocketAddress(family: family, port: port, high: high, low: low, scopeId: scopeId)
    }

    /// `a.b.c.d:port` or `[v6]:port` (with `%scope` for scoped addresses).
    public var description: String {
        switch family {
        case .ipv4:
            return addressBytes.map(String.init).joined(separator: ".") + ":\(port)"
        case .ipv6:
            var raw = in6_addr()
            let bytes = addressBytes
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            let host = String(cString: text) + (scopeId != 0 ? "%\(scopeId)" : "")
            return "[\(host)]:\(port)"
        }
    }

    /// Calls `body` with this address as a kernel `sockaddr`.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = in_addr(s_addr: UInt32(truncatingIfNeeded: low).bigEndian)
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_scope_id = scopeId
            let bytes = addressBytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}
