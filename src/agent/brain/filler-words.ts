// Everyday English words the offline recogniser may hear besides the agent's own: in the word loop of an
// agent's grammar they absorb the rest of what callers say ("can you tell me ...") and out-of-scope requests
// ("my washing machine is broken"), which would otherwise be forced onto the agent's words. All are in the
// recogniser's (CMU) dictionary; the agent's words are added to them.
export const FILLER_WORDS: readonly string[] = (
  "a about after again all also am an and any anything are as ask at back be because been before being best big book buy by " +
  "call calling came can can't car card cash could day did didn't do does doesn't doing don't down even ever every few fine " +
  'for from gas get give go going good got had has have he hello help her here hey hi him his home house how i if ' +
  "i'm in is it it's just know last let like little long look lot love made make man many may maybe me mean money more " +
  'most much must my name need new next nice not now of off okay old on only or other our out over pay people phone ' +
  'price problem put really right said same saw say see sell send she should show so some something sorry still sure ' +
  'take tell than that the their them then there these they thing think this those though through time to too try up ' +
  "us use very want was water way we week well went were what when which who why will with work would year you your " +
  "sir madam ma'am hmm um uh actually fix broken bought bill repair refund return cancel job apply weather rain cricket " +
  'match movie food pizza train bus ticket bank loan insurance doctor hospital school college'
).split(' ');
