namespace ModelCsi.TestSupport;

/// <summary>Polls a condition until it holds or a deadline passes (tests never sleep for a fixed time).</summary>
public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<T> read, Func<T, bool> accept, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = read();
            if (accept(value) || DateTime.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(20);
        }
    }
}
