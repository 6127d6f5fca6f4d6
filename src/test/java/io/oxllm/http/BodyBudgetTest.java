package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BodyBudgetTest {
  @Test
  void holdsUpToItsLimitAndAnyOneBodyWhenEmpty() {
    BodyBudget budget = new BodyBudget();
    assertTrue(budget.tryHold(60, 100));
    assertTrue(budget.tryHold(40, 100), "exactly the limit");
    assertFalse(budget.tryHold(1, 100));
    assertEquals(100, budget.held(), "a refusal counts nothing");
    budget.release(100);
    assertTrue(budget.tryHold(500, 100), "nothing held: one body of any size max_body_bytes allows goes");
    assertFalse(budget.tryHold(1, 100));
  }

  @Test
  void aHoldGivesBackWhatItCountsOnceAndShrinksToTheBodyThatCame() {
    BodyBudget budget = new BodyBudget();
    assertTrue(budget.tryHold(1000, 10_000));
    BodyHold hold = new BodyHold(budget, null, 1000);
    hold.resize(300);
    assertEquals(300, budget.held());
    hold.resize(900); // never grows: a body is not counted above what it was held as
    assertEquals(300, budget.held());
    hold.release();
    hold.release();
    hold.resize(10);
    assertEquals(0, budget.held());
  }
}
