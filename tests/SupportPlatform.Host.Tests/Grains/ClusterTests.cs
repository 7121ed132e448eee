using Orleans.TestingHost;
using SupportPlatform.Operations.Contracts;

namespace SupportPlatform.Host.Tests.Grains;

/// <summary>A two-silo TestingHost cluster: a grain reached through either silo answers from one activation.</summary>
public sealed class ClusterTests
{
    [Fact]
    public async Task ActivationProbe_CalledThroughBothSilos_OneActivation()
    {
        var builder = new InProcessTestClusterBuilder(2);
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        await cluster.WaitForLivenessToStabilizeAsync();

        var descriptions = new List<ActivationDescription>();
        foreach (var silo in cluster.Silos)
        {
            // Each silo's own grain factory routes the call; the directory must lead both to one activation.
            var grains = (IGrainFactory)cluster.GetSiloServiceProvider(silo.SiloAddress).GetService(typeof(IGrainFactory))!;
            for (var i = 0; i < 5; i++)
            {
                descriptions.Add(await grains.GetGrain<IActivationProbeGrain>("p-shared").Describe());
            }
        }

        Assert.Equal(2, cluster.Silos.Count);
        Assert.Single(descriptions.Select(d => d.ActivationId).Distinct());
        Assert.Equal(10, descriptions[^1].Calls);
    }
}
