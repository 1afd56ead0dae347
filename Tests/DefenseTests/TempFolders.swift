import TestSupport

/// The names the suites here use for TestSupport's TempFolder, the one temporary-folder helper
/// of every test target (a folder under the system's temporary folder, removed after).
typealias TempDir = TempFolder
typealias TempFiles = TempFolder
