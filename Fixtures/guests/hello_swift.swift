// hello_swift.swift - the contract's "Full Example" in Embedded Swift, via ../sdk/NX.swift.
// Logs "Starting module...", sets "counter" to "0", reads it back ("Counter: 0"),
// deletes it and logs "Module completed!". Any SDK error traps with a message.

@_cdecl("run")
public func run() {
    log("Starting module...")
    do {
        try DB.set("counter", "0")
        if let value = try DB.get("counter") {
            log("Counter: " + String(decoding: value, as: UTF8.self))
        }
        try DB.delete("counter")
    } catch {
        System.abort("hello_swift: " + error.description)
    }
    log("Module completed!")
}
