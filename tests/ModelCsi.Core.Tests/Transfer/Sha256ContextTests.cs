using System.Security.Cryptography;
using CsCheck;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Transfer;

public sealed class Sha256ContextTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)]
    [InlineData(64)]
    [InlineData(1_000_003)]
    public void OpenSsl_low_level_sha256_gives_the_same_digest_as_the_framework(int length)
    {
        var data = OciTestContent.RandomBytes(length, length);
        var context = new Sha256Context();
        context.Append(data);

        Assert.Equal(Digest.FromHash(SHA256.HashData(data)), context.Digest());
        Assert.Equal(length, context.BytesHashed);
    }

    [Fact]
    public void A_snapshot_taken_at_any_split_continues_to_the_digest_of_the_whole()
    {
        Gen.Byte.Array[0, 5000].SelectMany(data => Gen.Int[0, data.Length].Array[0, 6].Select(cuts => (data, cuts)))
            .Sample(sample =>
            {
                var (data, cuts) = sample;
                var context = new Sha256Context();
                var done = 0;
                foreach (var cut in cuts.Order())
                {
                    context.Append(data.AsSpan(done, cut - done));
                    done = cut;
                    // Through a saved copy of the state, as a checkpoint file carries it.
                    var saved = context.Snapshot();
                    Assert.True(Sha256Context.IsPlausible(saved));
                    Assert.Equal(done, Sha256Context.BytesHashedBy(saved));
                    context = Sha256Context.TryRestore(saved)!;
                }

                context.Append(data.AsSpan(done));
                Assert.Equal(Digest.FromHash(SHA256.HashData(data)), context.Digest());
            }, iter: 300);
    }

    [Fact]
    public void A_state_of_the_wrong_shape_is_not_restored()
    {
        var context = new Sha256Context();
        context.Append(new byte[100]);
        var state = context.Snapshot();

        Assert.Null(Sha256Context.TryRestore(state.AsSpan(0, 100)));
        var wrongCount = (byte[])state.Clone();
        wrongCount[32] ^= 8; // the bit count no longer matches the bytes pending
        Assert.Null(Sha256Context.TryRestore(wrongCount));
        var wrongLength = (byte[])state.Clone();
        wrongLength[108] = 28; // md_len of SHA-224
        Assert.Null(Sha256Context.TryRestore(wrongLength));
    }
}
