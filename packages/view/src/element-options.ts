/**
 * The checks of what can be set on `<replan-plan-view>` (`src`, `revision`, `selected`) and of
 * `defineReplanPlanView`'s tag name: a bad value throws a {@link ViewError} `invalid-options`
 * naming the property, as every option of the package does.
 *
 * @module
 */
import { checkOptions, rules, type ValueOf } from "@replan/core/internal";
import { checking } from "./option-rules.js";

const nothing = rules.custom("be null", (value): value is null => value === null);

/** The rules of the element's settable properties. */
const propertyRules = {
  src: rules.either(nothing, rules.string()),
  revision: rules.either(nothing, rules.integer({ min: 0 })),
  selected: rules.either(nothing, rules.string()),
};

type Property = keyof typeof propertyRules;

/**
 * `value`, checked as the element's property `name` (`undefined` reads as `null`).
 *
 * @throws {ViewError} `invalid-options`, e.g. `Option "revision" must be null or an integer >= 0, got -1`.
 */
export function checkProperty<Name extends Property>(
  name: Name,
  value: unknown,
): ValueOf<(typeof propertyRules)[Name]> {
  const checked = checkOptions({ [name]: value }, propertyRules, checking("<replan-plan-view>"));
  return (checked[name] ?? null) as ValueOf<(typeof propertyRules)[Name]>;
}

/** A custom element's name: lowercase, starting with a letter, with a hyphen. */
const ELEMENT_NAME = /^[a-z][a-z0-9._-]*-[a-z0-9._-]*$/;

/**
 * `name`, checked as `defineReplanPlanView`'s tag name.
 *
 * @throws {ViewError} `invalid-options` when it is not a custom element name.
 */
export function checkElementName(name: unknown): string {
  const { name: checked } = checkOptions(
    { name },
    {
      name: rules.custom(
        'be a custom element name (lowercase letters, digits, with a hyphen, e.g. "my-plan-view")',
        (value): value is string => typeof value === "string" && ELEMENT_NAME.test(value),
      ),
    },
    checking("defineReplanPlanView"),
  );
  return checked as string;
}
