using System;
using System.Reflection;

// Usage: mono MonoHost.exe UnityStandIn.dll rendernet.dll out.png nodes
static class Program
{
    static int Main(string[] args)
    {
        var script = Assembly.LoadFrom(args[0]).GetType("UnityStandIn.RenderScript", throwOnError: true);
        var report = (string)script.GetMethod("Run").Invoke(null, new object[] { args[1], args[2], int.Parse(args[3]) });
        Console.WriteLine(report);
        return 0;
    }
}
