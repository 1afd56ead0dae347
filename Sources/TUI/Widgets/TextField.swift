/// A one-line text input: the text, a cursor (in characters), and a history that Up/Down walk.
/// Editing is pure value manipulation so update() can use it directly.
public struct TextField: Equatable, Sendable {
    public var text: String
    public var cursor: Int
    public var history: [String]
    /// Position while walking history: nil when editing a fresh line.
    public var historyIndex: Int?
    /// The line being typed before history was entered, restored when walking back down.
    public var draft: String

    public init(text: String = "", history: [String] = []) {
        self.text = text
        self.cursor = text.count
        self.history = history
        self.historyIndex = nil
        self.draft = ""
    }

    public mutating func insert(_ s: String) {
        let i = text.index(text.startIndex, offsetBy: min(cursor, text.count))
        text.insert(contentsOf: s, at: i)
        cursor += s.count
    }

    public mutating func backspace() {
        guard cursor > 0 else { return }
        let i = text.index(text.startIndex, offsetBy: cursor - 1)
        text.remove(at: i)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < text.count else { return }
        text.remove(at: text.index(text.startIndex, offsetBy: cursor))
    }

    public mutating func left() { cursor = max(0, cursor - 1) }
    public mutating func right() { cursor = min(text.count, cursor + 1) }
    public mutating func home() { cursor = 0 }
    public mutating func end() { cursor = text.count }

    public mutating func set(_ s: String) {
        text = s
        cursor = s.count
    }

    /// Deletes the word before the cursor (Ctrl-W).
    public mutating func deleteWord() {
        while cursor > 0, text[text.index(text.startIndex, offsetBy: cursor - 1)] == " " { backspace() }
        while cursor > 0, text[text.index(text.startIndex, offsetBy: cursor - 1)] != " " { backspace() }
    }

    public mutating func historyUp() {
        guard !history.isEmpty else { return }
        if let i = historyIndex {
            historyIndex = max(0, i - 1)
        } else {
            draft = text
            historyIndex = history.count - 1
        }
        set(history[historyIndex!])
    }

    public mutating func historyDown() {
        guard let i = historyIndex else { return }
        if i + 1 < history.count {
            historyIndex = i + 1
            set(history[i + 1])
        } else {
            historyIndex = nil
            set(draft)
        }
    }

    /// Records the current text in history (skipping blanks and repeats) and clears the field.
    public mutating func commit() -> String {
        let line = text
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty && history.last != trimmed { history.append(trimmed) }
        if history.count > 500 { history.removeFirst(history.count - 500) }
        historyIndex = nil
        draft = ""
        set("")
        return trimmed
    }

    /// Draws `prompt` then the text, scrolled so the cursor stays visible; the cursor cell is
    /// drawn reversed when `focused`.
    public func draw(_ canvas: inout Canvas, in rect: Rect, prompt: String = "", focused: Bool = true, placeholder: String = "") {
        guard !rect.isEmpty else { return }
        canvas.within(rect) { c in
            let pw = c.text(prompt, x: rect.x, y: rect.y, style: Style(.accent, .bold))
            let room = rect.width - pw - 1
            guard room > 0 else { return }
            if text.isEmpty && !placeholder.isEmpty && !focused {
                c.text(placeholder, x: rect.x + pw, y: rect.y, style: .dim, maxWidth: room)
            }
            let chars = Array(text)
            let start = focused ? max(0, cursor - room) : 0
            let visible = String(chars[start..<min(chars.count, start + room)])
            c.text(visible, x: rect.x + pw, y: rect.y, style: .normal)
            if focused {
                let cx = rect.x + pw + (cursor - start)
                let ch: Character = cursor < chars.count ? chars[cursor] : " "
                c.put(ch.unicodeScalars.first ?? " ", x: cx, y: rect.y, style: Style(.normal, .reverse))
            }
        }
    }
}

import Foundation
