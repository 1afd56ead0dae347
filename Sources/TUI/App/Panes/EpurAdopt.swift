import Defense

/// One key turns the E-PUR row under the cursor into the trigger ASR is measured with, with the
/// target label the trigger hunt found for it (the session's own default when it was not tested).
extension EpurPane {
    static func adoptCommand(_ s: State) -> String? {
        let rows = Rows.tokens(s)
        guard s.epur.cursor < rows.count else { return nil }
        let token = s.model.epur.tokens[rows[s.epur.cursor]].token
        guard TriggerHunt.usable(token) else { return nil }
        let target = s.model.epur.huntTargets[token].map { ["target": String($0)] } ?? [:]
        return Command(verb: "trigger", arguments: ["word:" + token], options: target).description
    }

    static func adoptTrigger(_ s: inout State, _ fx: inout [Effect]) {
        guard let command = adoptCommand(s) else {
            s.status = "no word under the cursor to adopt as the trigger (word pieces and special tokens cannot be typed)"
            return
        }
        App.issue(command, &s, &fx)
    }
}
