// CotrainSim/Instructions.swift: language instructions from templates.
//
// Each family has a nominal template set (used for robot data) and a disjoint held-out
// paraphrase set (used only to test language following). Placeholders: {A} the object,
// {B} the bowl or base object, {C} a colour word, {S} a side word.

/// Instruction templates per task family.
public enum InstructionTemplates {
    /// The templates of `family` in phrasing set `set`.
    public static func templates(_ family: TaskFamily, _ set: PhrasingSet) -> [String] {
        switch (family, set) {
        case (.pick, .nominal): ["pick up the {A}", "grasp the {A} and lift it", "lift the {A} off the table"]
        case (.pick, .heldOut): ["raise the {A} into the air", "get hold of the {A} and hold it up", "take the {A} from the table"]
        case (.place, .nominal): ["put the {A} in the {B}", "place the {A} into the {B}", "move the {A} into the {B}"]
        case (.place, .heldOut): ["drop the {A} inside the {B}", "the {A} goes in the {B}", "fill the {B} with the {A}"]
        case (.push, .nominal): ["push the {A} to the {S}", "slide the {A} to the {S} side", "push the {A} toward the {S} side of the table"]
        case (.push, .heldOut): ["nudge the {A} over to the {S}", "without lifting it, move the {A} to the {S}", "shove the {A} {S}ward"]
        case (.stack, .nominal): ["stack the {A} on the {B}", "put the {A} on top of the {B}", "place the {A} onto the {B}"]
        case (.stack, .heldOut): ["build a tower with the {A} above the {B}", "set the {A} down on the {B}", "pile the {A} onto the {B}"]
        case (.putAllOfColour, .nominal): ["put all the {C} objects in the {B}", "place every {C} object into the {B}", "move all {C} things into the {B}"]
        case (.putAllOfColour, .heldOut): ["collect the {C} items in the {B}", "gather everything {C} into the {B}", "clear the {C} objects off the table into the {B}"]
        case (.sortByColour, .nominal): ["sort the objects by colour into the bowls", "put each object in the bowl of its colour", "sort the objects into the matching bowls"]
        case (.sortByColour, .heldOut): ["group the objects by colour using the bowls", "match every object to the bowl with the same colour", "tidy up by putting each object in the bowl that matches it"]
        }
    }

    /// Fills a randomly chosen template.
    static func instruction(
        _ family: TaskFamily, _ set: PhrasingSet, object: String = "", base: String = "", colour: String = "",
        side: String = "", rng: inout SimRandom
    ) -> String {
        rng.pick(templates(family, set))
            .replacingAll("{A}", object).replacingAll("{B}", base)
            .replacingAll("{C}", colour).replacingAll("{S}", side)
    }
}

extension String {
    /// Replaces every occurrence of `target` (Foundation-free, instructions are short).
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
