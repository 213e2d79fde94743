using RenderNet.Protocol;

namespace RenderNet.Farm.Tests;

/// <summary>How much of a node's pay for disagreeing checks a payer may hold until the verdict: never so much that the node stops working for it.</summary>
public class CheckPayHoldTests
{
    static FarmNode Paid(uint bound, int held) =>
        new(new Scheduling.FakeNode("n", new())) { Channel = "7", Caps = new Capabilities { ExposureBoundUnits = bound }, HeldDissentUnits = held };

    [Theory]
    [InlineData(8u, 1, true)]
    [InlineData(8u, 6, true)]  // 1 held back + 6 = 7: the node can still start a piece
    [InlineData(8u, 7, false)] // 1 + 7 = 8: it would refuse every piece, the checks that settle the dispute among them
    [InlineData(4u, 2, true)]
    [InlineData(4u, 3, false)]
    [InlineData(0u, 1, false)] // a node that declares no bound is held nothing
    public void A_payer_holds_a_nodes_disputed_checks_only_while_the_node_can_still_start_a_piece(uint bound, int held, bool holds)
    {
        var payments = new FarmPayments(new Scheduling.FakeWorkload(4), new FarmOptions { HoldBackUnits = 1 }, null, _ => { });
        Assert.Equal(holds, payments.CanHold(Paid(bound, held)));
        Assert.True(payments.CanHold(new FarmNode(new Scheduling.FakeNode("free", new())) { HeldDissentUnits = 99 })); // an unpaid node is owed nothing
    }

    [Theory]
    [InlineData(8u, true)]
    [InlineData(3u, true)]
    [InlineData(2u, false)] // its held-back unit leaves no room: every answer would be paid at once, lies included
    [InlineData(0u, false)]
    public void A_paid_node_is_drawn_as_a_checker_only_if_a_disagreeing_check_of_its_could_be_held(uint bound, bool checks)
    {
        var payments = new FarmPayments(new Scheduling.FakeWorkload(4), new FarmOptions { HoldBackUnits = 1 }, null, _ => { });
        Assert.Equal(checks, payments.CanHoldACheck(Paid(bound, held: 0)));
    }
}
