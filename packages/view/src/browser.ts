// The browser bundle's entry: defines <replan-plan-view> (dist/browser/replan-view.js).
import { defineReplanPlanView, ReplanPlanView } from "./element.js";

defineReplanPlanView();

export { defineReplanPlanView, ReplanPlanView };
