module dagger/consumer

go 1.26.1
